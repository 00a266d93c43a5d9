import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { silentLogger } from '../lib/log.ts';
import { waitFor } from '../lib/wait.ts';
import { keys, type Route, type VsStatus } from '../model/index.ts';
import { openSqliteStore, type Store } from '../store/index.ts';
import { liveEndpoints } from './live-endpoints.ts';

/** A SQLite store in a temp folder, both gone when the test ends. */
async function tempStore(t: TestContext): Promise<Store> {
  const dir = mkdtempSync(join(tmpdir(), 'corral-live-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const store = await openSqliteStore(join(dir, 's.db'));
  t.after(() => store.close());
  return store;
}

test('drops endpoints whose status is not ready or whose engine is gone, never emptying a route', async (t) => {
  const store = await tempStore(t);
  const status = (vs: string, engine: string, state: VsStatus['state']): string =>
    JSON.stringify({ vs, engine, site: 'www', release: 'v1', state, restarts: 0, updatedAt: '' } satisfies VsStatus);
  for (const e of ['e1', 'e2']) await store.put(keys.engine(e), JSON.stringify({ id: e }));
  await store.put(keys.vsStatus('e1', 'a'), status('a', 'e1', 'ready'));
  await store.put(keys.vsStatus('e2', 'b'), status('b', 'e2', 'ready'));
  let seen: readonly Route[] = [];
  const abandoned: string[][] = [];
  const live = await liveEndpoints(store, { setRoutes: (r) => (seen = r), abandonEndpoints: (eps) => abandoned.push(eps.map((e) => e.vs)) }, silentLogger);
  t.after(() => live.close());
  const endpoint = (vs: string) => ({ vs, address: '127.0.0.1', port: 1, release: 'v1' });
  const route: Route = { site: 'www', domains: ['www.test'], endpoints: [endpoint('a'), endpoint('b')], updatedAt: '' };
  live.setRoutes([route]);
  const vss = () => seen[0]?.endpoints.map((e) => e.vs).join(',');
  assert.equal(vss(), 'a,b');

  await store.delete(keys.engine('e2'));
  await waitFor(() => vss() === 'a', { what: 'b dropped when its engine registration vanished' });
  assert.deepEqual(abandoned, [['b']], 'b is dead: its requests in flight are cut');
  await store.put(keys.vsStatus('e1', 'a'), status('a', 'e1', 'stopping'));
  await waitFor(() => vss() === 'a,b', { what: 'the route passed unfiltered rather than emptied' });
  await store.put(keys.engine('e2'), JSON.stringify({ id: 'e2' }));
  await waitFor(() => vss() === 'b', { what: 'a dropped while not ready' });
  assert.deepEqual(abandoned, [['b']], 'a stopping endpoint is only dropped: its requests finish');

  // records that do not parse are left out, never thrown out of the watch
  await store.put(keys.engine('e3'), 'not json');
  await store.put(keys.engine('e4'), 'null');
  await store.put(keys.vsStatus('e1', 'c'), '{"vs": 7}');
  await store.put(keys.vsStatus('e1', 'a'), status('a', 'e1', 'ready'));
  await waitFor(() => vss() === 'a,b', { what: 'a back once ready, the bad records ignored' });
  // …and a router starting on a store that holds them starts
  let fresh: readonly Route[] = [];
  const again = await liveEndpoints(store, { setRoutes: (r) => (fresh = r), abandonEndpoints: () => {} }, silentLogger);
  t.after(() => again.close());
  again.setRoutes([route]);
  assert.equal(fresh[0]?.endpoints.map((e) => e.vs).join(','), 'a,b');

  await store.delete(keys.vsStatus('e1', 'a'));
  await waitFor(() => abandoned.length === 2, { what: 'a abandoned when its status vanished' });
  assert.deepEqual(abandoned[1], ['a']);
  // an endpoint that left the route while it ran (a drain; the reconciler's new route for a
  // crash arriving before the status) is still cut when its VS then stops running
  await store.put(keys.vsStatus('e1', 'a'), status('a', 'e1', 'ready'));
  await waitFor(() => vss() === 'a,b', { what: 'a back' });
  live.setRoutes([{ ...route, endpoints: [endpoint('b')] }]);
  await store.put(keys.vsStatus('e1', 'a'), status('a', 'e1', 'crashed'));
  await waitFor(() => abandoned.length === 3, { what: 'a abandoned when it crashed, after it left the route' });
  assert.deepEqual(abandoned[2], ['a']);
  await store.delete(keys.vsStatus('e1', 'a'));
  await store.delete(keys.vsStatus('e2', 'b'));
  await waitFor(() => abandoned.length === 4, { what: 'b abandoned when its status vanished' });
  assert.deepEqual(abandoned[3], ['b'], 'a was cut once, not again when its status went');
  // routed again before it stopped: cut once, as a routed endpoint
  await store.put(keys.vsStatus('e1', 'a'), status('a', 'e1', 'ready'));
  await store.put(keys.vsStatus('e2', 'b'), status('b', 'e2', 'ready'));
  await waitFor(() => vss() === 'b', { what: 'b back' });
  live.setRoutes([route]);
  await waitFor(() => vss() === 'a,b', { what: 'a routed again' });
  live.setRoutes([{ ...route, endpoints: [endpoint('b')] }]);
  live.setRoutes([route]);
  await store.put(keys.vsStatus('e1', 'a'), status('a', 'e1', 'stopped'));
  await waitFor(() => abandoned.length === 5, { what: 'a abandoned when it stopped' });
  assert.deepEqual(abandoned[4], ['a'], 'once, though it had left and come back');
});

for (const vanishedIsDead of [true, false]) {
  test(`a routed VS whose process exits (crashed, backoff, stopped) is dead: its requests in flight are cut once; one merely unready is not (${vanishedIsDead ? 'a farm' : 'one machine'})`, async (t) => {
    const store = await tempStore(t);
    const status = (vs: string, state: VsStatus['state']): string =>
      JSON.stringify({ vs, engine: 'e1', site: 'www', release: 'v1', state, restarts: 0, updatedAt: '' } satisfies VsStatus);
    await store.put(keys.engine('e1'), JSON.stringify({ id: 'e1' }));
    for (const vs of ['a', 'b', 'c']) await store.put(keys.vsStatus('e1', vs), status(vs, 'ready'));
    const abandoned: string[][] = [];
    const live = await liveEndpoints(store, { setRoutes: () => {}, abandonEndpoints: (eps) => abandoned.push(eps.map((e) => e.vs)) }, silentLogger, { vanishedIsDead });
    t.after(() => live.close());
    const endpoint = (vs: string) => ({ vs, address: '127.0.0.1', port: 1, release: 'v1' });
    live.setRoutes([{ site: 'www', domains: ['www.test'], endpoints: ['a', 'b', 'c'].map(endpoint), updatedAt: '' }]);
    const step = async (vs: string, state: VsStatus['state'], expected: string[][], what: string) => {
      await store.put(keys.vsStatus('e1', vs), status(vs, state));
      // the whole list each time: a cut that should not have happened shows at the latest in the next step
      await waitFor(() => JSON.stringify(abandoned) === JSON.stringify(expected), { what, timeoutMs: 5_000 });
    };
    await step('a', 'unhealthy', [], 'an unhealthy VS is only dropped');
    await step('a', 'crashed', [['a']], 'a crashed: cut');
    await step('a', 'backoff', [['a']], 'backoff after the crash: not cut twice');
    await step('a', 'starting', [['a']], 'restarting: nothing to cut');
    await step('a', 'ready', [['a']], 'back');
    await step('b', 'stopping', [['a']], 'a VS draining keeps its requests');
    await step('b', 'stopped', [['a'], ['b']], 'stopped: whatever was still in flight to it is cut');
    await step('c', 'backoff', [['a'], ['b'], ['c']], 'a crash seen only as backoff: cut');
  });
}

test("one machine: the engine's lease lapsing (the process stalled, the machine slept) takes every status with it and cuts nothing; an exit after it still does", async (t) => {
  const store = await tempStore(t);
  const status = (vs: string, state: VsStatus['state']): string =>
    JSON.stringify({ vs, engine: 'e1', site: 'www', release: 'v1', state, restarts: 0, updatedAt: '' } satisfies VsStatus);
  await store.put(keys.engine('e1'), JSON.stringify({ id: 'e1' }));
  for (const vs of ['a', 'b']) await store.put(keys.vsStatus('e1', vs), status(vs, 'ready'));
  const abandoned: string[][] = [];
  let seen: readonly Route[] = [];
  const live = await liveEndpoints(store, { setRoutes: (r) => (seen = r), abandonEndpoints: (eps) => abandoned.push(eps.map((e) => e.vs)) }, silentLogger, { vanishedIsDead: false });
  t.after(() => live.close());
  const endpoint = (vs: string) => ({ vs, address: '127.0.0.1', port: 1, release: 'v1' });
  live.setRoutes([{ site: 'www', domains: ['www.test'], endpoints: ['a', 'b'].map(endpoint), updatedAt: '' }]);
  await store.delete(keys.vsStatus('e1', 'a'));
  await store.delete(keys.vsStatus('e1', 'b'));
  await store.delete(keys.engine('e1'));
  await store.put(keys.engine('e1'), JSON.stringify({ id: 'e1' }));
  for (const vs of ['a', 'b']) await store.put(keys.vsStatus('e1', vs), status(vs, 'ready'));
  await waitFor(() => seen[0]?.endpoints.length === 2, { what: 'the route whole again' });
  await store.put(keys.vsStatus('e1', 'a'), status('a', 'crashed'));
  await waitFor(() => abandoned.length > 0, { what: 'a cut when it crashed' });
  assert.deepEqual(abandoned, [['a']], 'only the exit cut anything: not the lapsed lease');
});

test('per site: a status change or a route update reaches the router as the sites it changed', async (t) => {
  const store = await tempStore(t);
  const status = (vs: string, site: string, state: VsStatus['state']): string =>
    JSON.stringify({ vs, engine: 'e1', site, release: 'v1', state, restarts: 0, updatedAt: '' } satisfies VsStatus);
  await store.put(keys.engine('e1'), JSON.stringify({ id: 'e1' }));
  for (const vs of ['w1', 'w2', 'a1']) await store.put(keys.vsStatus('e1', vs), status(vs, vs[0] === 'w' ? 'www' : 'api', 'ready'));
  const calls: string[] = [];
  const show = (rs: readonly Route[]) => rs.map((r) => `${r.site}=${r.endpoints.map((e) => e.vs).join('+')}`).join(',');
  const live = await liveEndpoints(store, {
    setRoutes: (rs) => void calls.push(`set ${show(rs)}`),
    updateRoutes: (d) => void calls.push(`put ${show(d.put)} remove ${d.remove.join(',')}`),
    abandonEndpoints: () => {},
  }, silentLogger);
  t.after(() => live.close());
  const endpoint = (vs: string) => ({ vs, address: '127.0.0.1', port: 1, release: 'v1' });
  const www: Route = { site: 'www', domains: ['www.test'], endpoints: [endpoint('w1'), endpoint('w2')], updatedAt: '' };
  const api: Route = { site: 'api', domains: ['api.test'], endpoints: [endpoint('a1')], updatedAt: '' };
  live.setRoutes([www, api]);
  await store.put(keys.vsStatus('e1', 'w2'), status('w2', 'www', 'stopping'));
  await waitFor(() => calls.length === 2, { what: 'w2 dropped' });
  await store.put(keys.vsStatus('e1', 'a1'), status('a1', 'api', 'ready')); // nothing changes for the router
  live.updateRoutes({ put: [{ ...api, domains: ['api.test', 'api2.test'] }], remove: [] });
  live.updateRoutes({ put: [], remove: ['www'] });
  assert.deepEqual(calls, ['set www=w1+w2,api=a1', 'put www=w1 remove ', 'put api=a1 remove ', 'put  remove www']);
});

test('a status change looks at the sites routing that VS only, not at every route (1,000 sites)', async (t) => {
  const store = await tempStore(t);
  const status = (vs: string, state: VsStatus['state']): string =>
    JSON.stringify({ vs, engine: 'e1', site: 'pool', release: 'v1', state, restarts: 0, updatedAt: '' } satisfies VsStatus);
  await store.put(keys.engine('e1'), JSON.stringify({ id: 'e1' }));
  const pools = Array.from({ length: 10 }, (_, i) => `pool-${i}`);
  for (const vs of [...pools, 'spare']) await store.put(keys.vsStatus('e1', vs), status(vs, 'ready'));
  let reads = 0;
  const endpoint = (vs: string) => ({ vs, address: '127.0.0.1', port: 1, release: 'v1' });
  // 1,000 sites, 100 on each pool, each with the spare as a second endpoint; reads of their endpoints counted
  const routes: Route[] = Array.from({ length: 1000 }, (_, i) => {
    const endpoints = [endpoint(pools[i % 10] as string), endpoint('spare')];
    const r = { site: `s${i}`, domains: [`s${i}.test`], updatedAt: '' } as Route;
    Object.defineProperty(r, 'endpoints', { enumerable: true, get: () => (reads++, endpoints) });
    return r;
  });
  const puts: string[][] = [];
  const live = await liveEndpoints(store, { setRoutes: () => {}, updateRoutes: (d) => void puts.push(d.put.map((r) => r.site)), abandonEndpoints: () => {} }, silentLogger);
  t.after(() => live.close());
  live.setRoutes(routes);
  reads = 0;
  await store.put(keys.vsStatus('e1', 'pool-3'), status('pool-3', 'stopping'));
  await waitFor(() => puts.length === 1, { what: 'pool-3 dropped from its sites' });
  assert.equal(puts[0]?.length, 100, 'the sites on pool-3');
  assert.ok(puts[0]?.every((site) => Number(site.slice(1)) % 10 === 3));
  assert.ok(reads <= 100 * 5, `${reads} reads of routes' endpoints for one status change (100 sites route pool-3)`);
});

test('a broken watch (compacted, cancelled) loads again and follows what changed meanwhile and after', async (t) => {
  const store = await tempStore(t);
  const status = (vs: string, state: VsStatus['state']): string =>
    JSON.stringify({ vs, engine: 'e1', site: 'www', release: 'v1', state, restarts: 0, updatedAt: '' } satisfies VsStatus);
  await store.put(keys.engine('e1'), JSON.stringify({ id: 'e1' }));
  await store.put(keys.vsStatus('e1', 'a'), status('a', 'ready'));
  await store.put(keys.vsStatus('e1', 'b'), status('b', 'ready'));
  // the store's watches, with a way to break them as a compaction or a cancel would
  const breakers: ((err: Error) => void)[] = [];
  const breaking: Store = Object.create(store) as Store;
  breaking.watch = async (prefix, onEvents, opts) => {
    let broken = false;
    const w = await store.watch(prefix, (events, rev) => (broken ? undefined : onEvents(events, rev)), opts);
    breakers.push((err) => {
      broken = true;
      w.close();
      opts?.onError?.(err);
    });
    return w;
  };
  let seen: readonly Route[] = [];
  const live = await liveEndpoints(breaking, { setRoutes: (r) => (seen = r), abandonEndpoints: () => {} }, silentLogger);
  t.after(() => live.close());
  const endpoint = (vs: string) => ({ vs, address: '127.0.0.1', port: 1, release: 'v1' });
  live.setRoutes([{ site: 'www', domains: ['www.test'], endpoints: [endpoint('a'), endpoint('b')], updatedAt: '' }]);
  const vss = () => seen[0]?.endpoints.map((e) => e.vs).join(',');
  assert.equal(vss(), 'a,b');

  const first = breakers.splice(0);
  assert.equal(first.length, 2, 'engines and statuses are watched');
  for (const b of first) b(new Error('watch compacted (test)'));
  await store.put(keys.vsStatus('e1', 'b'), status('b', 'stopping')); // while it reloads, or after
  await waitFor(() => vss() === 'a', { what: 'b dropped: the reloaded watch saw it' });
  await waitFor(() => breakers.length === 2, { what: 'both watched again' });
  await store.put(keys.vsStatus('e1', 'b'), status('b', 'ready'));
  await waitFor(() => vss() === 'a,b', { what: 'b back: the new watch follows' });
});
