// The reconciler on a real SQLite store with no ticks: every step below is done by passes
// the changes kicked, which plan only the sites the changes concern (dirty-sites.ts), and
// the farm still converges; the other site is left as it was.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { keys, type Assignment, type EngineRecord, type Release, type Route, type Site, type VsStatus } from '../model/index.ts';
import { openSqliteStore, type Store } from '../store/index.ts';
import { waitFor } from '../lib/wait.ts';
import { startReconciler } from './reconciler.ts';

const engine: EngineRecord = { id: 'e1', runtime: 'process', capacity: { cpus: 2, memoryMb: 1024, maxVirtualServers: 20 }, startedAt: '' };
const site = (name: string, replicas: number): Site => ({ name, customer: 'acme', domains: [`${name}.test`], kind: 'static', replicas, healthPath: '/', env: {}, release: 'r1', drainTimeoutMs: 0, createdAt: '', updatedAt: '' });
const release = (s: string): Release => ({ id: 'r1', site: s, number: 1, sha256: 'ab'.repeat(32), size: 1, files: 1, unpackedBytes: 1, createdAt: '' });

async function assignments(store: Store, name: string): Promise<Assignment[]> {
  return (await store.range(keys.assignments)).kvs.map((kv) => JSON.parse(kv.value) as Assignment).filter((a) => a.site === name);
}

async function route(store: Store, name: string): Promise<Route | undefined> {
  const kv = await store.get(keys.route(name));
  return kv && (JSON.parse(kv.value) as Route);
}

/** Each server of the site reports ready, as its engine would. */
async function ready(store: Store, name: string): Promise<void> {
  let port = 9000;
  for (const a of await assignments(store, name)) {
    const st: VsStatus = { vs: a.vs, engine: a.engine, site: a.site, release: a.release, state: 'ready', address: '127.0.0.1', port: port++, restarts: 0, updatedAt: '' };
    await store.put(keys.vsStatus(a.engine, a.vs), JSON.stringify(st));
  }
}

test('passes kicked by changes bring a site up, scale it and remove it, and leave another site alone', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'corral-reconcile-dirty-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const store = await openSqliteStore(join(dir, 'farm.db'));
  t.after(() => store.close());
  await store.put(keys.engine('e1'), JSON.stringify(engine));
  for (const name of ['alpha', 'bravo']) {
    await store.put(keys.release(name, 'r1'), JSON.stringify(release(name)));
    await store.put(keys.site(name), JSON.stringify(site(name, 1)));
  }
  const reconciler = await startReconciler({ store, tickMs: 3_600_000, drainDelayMs: 0 });
  t.after(() => reconciler.close());

  await waitFor(async () => (await assignments(store, 'bravo')).length === 1, { what: 'bravo placed by the first pass' });
  await ready(store, 'bravo');
  await waitFor(async () => (await route(store, 'bravo'))?.endpoints.length === 1, { what: 'bravo routed' });
  const bRoute = (await store.get(keys.route('bravo')))?.modRevision;

  await ready(store, 'alpha');
  await waitFor(async () => (await route(store, 'alpha'))?.endpoints.length === 1, { what: 'alpha routed' });
  await store.put(keys.site('alpha'), JSON.stringify(site('alpha', 3)));
  await waitFor(async () => (await assignments(store, 'alpha')).length === 3, { what: 'alpha scaled to 3' });
  await ready(store, 'alpha');
  await waitFor(async () => (await route(store, 'alpha'))?.endpoints.length === 3, { what: 'alpha routed to 3' });

  await store.delete(keys.site('alpha'));
  await waitFor(async () => (await assignments(store, 'alpha')).length === 0 && (await route(store, 'alpha')) === undefined, { what: 'alpha removed' });
  assert.equal((await store.get(keys.route('bravo')))?.modRevision, bRoute, 'bravo’s route was not rewritten');
  assert.equal((await assignments(store, 'bravo')).length, 1);
});
