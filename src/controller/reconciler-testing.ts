// A tiny farm in a real SQLite store for the reconciler's tests (reconciler-due.test.ts,
// reconciler-dirty.test.ts): one process engine, static sites of customer acme on release r1,
// and what an engine would write (its servers report ready).

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { keys, readRoute, type Assignment, type EngineRecord, type Release, type Route, type Site, type VsStatus } from '../model/index.ts';
import { openSqliteStore, type Store } from '../store/index.ts';
import { listRecords } from './records.ts';

const engine: EngineRecord = { id: 'e1', runtime: 'process', capacity: { cpus: 2, memoryMb: 1024, maxVirtualServers: 20 }, startedAt: '' };

export const site = (name: string, replicas: number): Site => ({ name, customer: 'acme', domains: [`${name}.test`], kind: 'static', replicas, healthPath: '/', env: {}, release: 'r1', drainTimeoutMs: 0, createdAt: '', updatedAt: '' });

const release = (s: string): Release => ({ id: 'r1', site: s, number: 1, sha256: 'ab'.repeat(32), size: 1, files: 1, unpackedBytes: 1, createdAt: '' });

export async function assignments(store: Store, name: string): Promise<Assignment[]> {
  return (await listRecords<Assignment>(store, keys.assignments)).filter((a) => a.site === name);
}

export async function route(store: Store, name: string): Promise<Route | undefined> {
  const kv = await store.get(keys.route(name));
  return kv ? readRoute(kv.value).route : undefined;
}

/** Each server of the site reports ready, as its engine would. */
export async function ready(store: Store, name: string): Promise<void> {
  let port = 9000;
  for (const a of await assignments(store, name)) {
    const st: VsStatus = { vs: a.vs, engine: a.engine, site: a.site, release: a.release, state: 'ready', address: '127.0.0.1', port: port++, restarts: 0, updatedAt: '' };
    await store.put(keys.vsStatus(a.engine, a.vs), JSON.stringify(st));
  }
}

/** A store in a temp dir (both removed after the test) holding engine e1 and sites alpha and bravo at `replicas`. */
export async function openFarm(t: TestContext, dirPrefix: string, replicas: number): Promise<Store> {
  const dir = await mkdtemp(join(tmpdir(), dirPrefix));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const store = await openSqliteStore(join(dir, 'farm.db'));
  t.after(() => store.close());
  await store.put(keys.engine('e1'), JSON.stringify(engine));
  for (const name of ['alpha', 'bravo']) {
    await store.put(keys.release(name, 'r1'), JSON.stringify(release(name)));
    await store.put(keys.site(name), JSON.stringify(site(name, replicas)));
  }
  return store;
}
