// The reconciler's tick plans the sites whose timers run, not every site (due-sites.ts):
// a server scaled away leaves the route at once and is removed once its drain delay is
// over, by passes over that site alone — no pass over every site in between.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { keys, type Assignment, type EngineRecord, type Release, type Route, type Site, type VsStatus } from '../model/index.ts';
import { openSqliteStore, type Store } from '../store/index.ts';
import { waitFor } from '../lib/wait.ts';
import { FULL_PASS_EVERY_MS, startReconciler } from './reconciler.ts';
import { reconcileFullPasses } from './metrics.ts';

const engine: EngineRecord = { id: 'e1', runtime: 'process', capacity: { cpus: 2, memoryMb: 1024, maxVirtualServers: 20 }, startedAt: '' };
const site = (name: string, replicas: number): Site => ({ name, customer: 'acme', domains: [`${name}.test`], kind: 'static', replicas, healthPath: '/', env: {}, release: 'r1', drainTimeoutMs: 0, createdAt: '', updatedAt: '' });
const release = (s: string): Release => ({ id: 'r1', site: s, number: 1, sha256: 'ab'.repeat(32), size: 1, files: 1, unpackedBytes: 1, createdAt: '' });
const fullPasses = async (): Promise<number> => (await reconcileFullPasses.get()).values[0]?.value ?? 0;

async function assignments(store: Store, name: string): Promise<Assignment[]> {
  return (await store.range(keys.assignments)).kvs.map((kv) => JSON.parse(kv.value) as Assignment).filter((a) => a.site === name);
}

async function route(store: Store, name: string): Promise<Route | undefined> {
  const kv = await store.get(keys.route(name));
  return kv && (JSON.parse(kv.value) as Route);
}

async function ready(store: Store, name: string): Promise<void> {
  let port = 9000;
  for (const a of await assignments(store, name)) {
    const st: VsStatus = { vs: a.vs, engine: a.engine, site: a.site, release: a.release, state: 'ready', address: '127.0.0.1', port: port++, restarts: 0, updatedAt: '' };
    await store.put(keys.vsStatus(a.engine, a.vs), JSON.stringify(st));
  }
}

test('a drain delay ends by the tick planning that site, with no pass over every site', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'corral-reconcile-due-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const store = await openSqliteStore(join(dir, 'farm.db'));
  t.after(() => store.close());
  await store.put(keys.engine('e1'), JSON.stringify(engine));
  for (const name of ['alpha', 'bravo']) {
    await store.put(keys.release(name, 'r1'), JSON.stringify(release(name)));
    await store.put(keys.site(name), JSON.stringify(site(name, 2)));
  }
  const started = Date.now();
  const reconciler = await startReconciler({ store, tickMs: 50, drainDelayMs: 600 });
  t.after(() => reconciler.close());
  for (const name of ['alpha', 'bravo']) {
    await waitFor(async () => (await assignments(store, name)).length === 2, { what: `${name} placed` });
    await ready(store, name);
    await waitFor(async () => (await route(store, name))?.endpoints.length === 2, { what: `${name} routed` });
  }
  const bravoRoute = (await store.get(keys.route('bravo')))?.modRevision;

  const full = await fullPasses();
  const scaled = Date.now();
  await store.put(keys.site('alpha'), JSON.stringify(site('alpha', 1)));
  await waitFor(async () => (await route(store, 'alpha'))?.endpoints.length === 1, { what: 'alpha routed to 1' });
  await waitFor(async () => (await assignments(store, 'alpha')).length === 1, { what: 'the retired server removed after its drain' });
  const took = Date.now() - scaled;
  assert.ok(took >= 600, `removed ${took} ms after the scale-down (drain 600 ms)`);
  if (Date.now() - started < FULL_PASS_EVERY_MS - 500) assert.equal(await fullPasses(), full, 'passes over every site while the drain ran');
  else t.diagnostic('slow machine: the periodic full pass may have come meanwhile; not counted');
  assert.equal((await store.get(keys.route('bravo')))?.modRevision, bravoRoute, 'bravo’s route was not rewritten');
});
