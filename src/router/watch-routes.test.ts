import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keys, type Route } from '../model/index.ts';
import type { KeyValue, Store, WatchEvent, WatchOptions } from '../store/types.ts';
import { waitFor } from '../lib/wait.ts';
import { routerStoreMetricsRegistry } from './metrics.ts';
import { captureLog } from './testing.ts';
import { watchRoutes } from './watch-routes.ts';

/** Just enough of a Store for the route watcher: range, put, delete and watch. */
function memoryStore() {
  const data = new Map<string, KeyValue>();
  let rev = 1;
  const watchers = new Set<{ prefix: string; from: number; on: (e: WatchEvent[], r: number) => void; onError?: (err: Error) => void }>();
  const emit = (ev: WatchEvent) => {
    for (const w of watchers) if (ev.kv.key.startsWith(w.prefix) && rev >= w.from) w.on([ev], rev);
  };
  const store = {
    kind: 'memory',
    async range(prefix: string) {
      return { kvs: [...data.values()].filter((kv) => kv.key.startsWith(prefix)), revision: rev };
    },
    async put(key: string, value: string) {
      rev++;
      const kv = { key, value, createRevision: rev, modRevision: rev, version: 1, lease: 0 };
      data.set(key, kv);
      emit({ type: 'put', kv });
      return { revision: rev };
    },
    async delete(key: string) {
      rev++;
      const deleted = data.delete(key) ? 1 : 0;
      emit({ type: 'delete', kv: { key, value: '', createRevision: 0, modRevision: rev, version: 0, lease: 0 } });
      return { revision: rev, deleted };
    },
    async watch(prefix: string, on: (e: WatchEvent[], r: number) => void, opts: WatchOptions = {}) {
      const w = { prefix, from: opts.fromRevision ?? rev + 1, on, onError: opts.onError };
      watchers.add(w);
      return { close: () => watchers.delete(w) };
    },
    /** Break every watch, as a compaction would. */
    breakWatches() {
      for (const w of [...watchers]) {
        watchers.delete(w);
        w.onError?.(new Error('compacted'));
      }
    },
    watcherCount: () => watchers.size,
  };
  return store;
}

const asStore = (s: ReturnType<typeof memoryStore>) => s as unknown as Store;

function route(site: string, port: number): Route {
  return { site, domains: [`${site}.test`], endpoints: [{ vs: `${site}-1`, address: '127.0.0.1', port, release: 'r1' }], updatedAt: '' };
}

function fakeRouter() {
  const tables: string[][] = [];
  return { tables, setRoutes: (routes: readonly Route[]) => void tables.push(routes.map((r) => r.site).sort()) };
}

test('loads every route, then follows puts and deletes', async () => {
  const store = memoryStore();
  await store.put(keys.route('aa'), JSON.stringify(route('aa', 1001)));
  await store.put(keys.route('bb'), JSON.stringify(route('bb', 1002)));
  await store.put(keys.site('not-a-route'), '{}');
  const router = fakeRouter();
  const watch = await watchRoutes(asStore(store), router, captureLog().log);
  assert.deepEqual(router.tables, [['aa', 'bb']]);
  await store.put(keys.route('cc'), JSON.stringify(route('cc', 1003)));
  await store.delete(keys.route('aa'));
  assert.deepEqual(router.tables.slice(1), [['aa', 'bb', 'cc'], ['bb', 'cc']]);
  watch();
  watch.close();
  await store.put(keys.route('dd'), JSON.stringify(route('dd', 1004)));
  assert.equal(router.tables.length, 3);
  assert.equal(store.watcherCount(), 0);
});

test('a record that is not a route is ignored and logged', async () => {
  const store = memoryStore();
  await store.put(keys.route('bad'), '{"site": 1}');
  await store.put(keys.route('worse'), 'not json');
  await store.put(keys.route('ok'), JSON.stringify(route('ok', 1001)));
  const router = fakeRouter();
  const { log, events } = captureLog();
  const watch = await watchRoutes(asStore(store), router, log);
  assert.deepEqual(router.tables, [['ok']]);
  assert.equal(events('routes.bad-record').length, 2);
  watch.close();
});

test('a broken watch reloads and watches again', async () => {
  const store = memoryStore();
  await store.put(keys.route('aa'), JSON.stringify(route('aa', 1001)));
  const router = fakeRouter();
  const { log, events } = captureLog();
  const watch = await watchRoutes(asStore(store), router, log);
  store.breakWatches();
  // two watches: the routes and the ACME challenges carried with them
  await waitFor(() => store.watcherCount() === 2, { what: 'the watch to restart' });
  assert.equal(events('routes.watch-error').length, 1);
  await store.put(keys.route('bb'), JSON.stringify(route('bb', 1002)));
  assert.deepEqual(router.tables.at(-1), ['aa', 'bb']);
  watch.close();
});

test('a route no router can use (as an older API accepted) is skipped, logged and counted; every other site is served', async () => {
  const store = memoryStore();
  const bad: Record<string, Partial<Route> & Record<string, unknown>> = {
    'space-path': { health: { path: '/a b' } },
    'crlf-path': { health: { path: '/x\r\nHost: evil' } },
    'nul-page': { maintenance: { on: true, page: '<p>\u0000</p>' } },
    'nul-error-page': { errorPages: { 502: '\u0000' } },
    'crlf-domain': { domains: ['x.test\r\nHost: evil'] },
    'bad-port': { endpoints: [{ vs: 'bad-port-1', address: '127.0.0.1', port: 70_000, release: 'v1' }] },
    'bad-address': { endpoints: [{ vs: 'bad-address-1', address: '127.0.0.1\r\n', port: 80, release: 'v1' }] },
    'bad-limits': { limits: { maxHeaderBytes: -1 } },
  };
  for (const [site, extra] of Object.entries(bad)) await store.put(keys.route(site), JSON.stringify({ ...route(site, 1001), ...extra }));
  await store.put(keys.route('ok'), JSON.stringify(route('ok', 1002)));
  // a bad balance or retry falls back to the defaults: the site is kept
  await store.put(keys.route('odd-balance'), JSON.stringify({ ...route('odd-balance', 1003), balance: { policy: 'random' } }));
  const router = fakeRouter();
  const { log, events } = captureLog();
  const watch = await watchRoutes(asStore(store), router, log);
  assert.deepEqual(router.tables, [['odd-balance', 'ok']]);
  const skipped = events('routes.bad-record');
  assert.deepEqual(skipped.map((e) => e.site).sort(), Object.keys(bad).sort());
  assert.match(String(skipped.find((e) => e.site === 'space-path')?.problem), /\/health\/path must be a URL path/);
  assert.equal(events('routes.bad-balance').length, 1);

  // a served route turned bad by a later write leaves the table; the others stay
  await store.put(keys.route('ok'), JSON.stringify({ ...route('ok', 1002), health: { path: '/a\u0000' } }));
  assert.deepEqual(router.tables.at(-1), ['odd-balance']);
  await store.put(keys.route('ok'), JSON.stringify(route('ok', 1002)));
  assert.deepEqual(router.tables.at(-1), ['odd-balance', 'ok']);

  const text = await routerStoreMetricsRegistry.metrics();
  assert.match(text, /corral_router_bad_records_total\{kind="route",site="space-path"\} 1\b/);
  assert.match(text, /corral_router_bad_records_total\{kind="route",site="ok"\} 1\b/);
  watch.close();
});

test('after the first table, each event batch reaches the router as the sites it touched', async () => {
  const store = memoryStore();
  await store.put(keys.route('aa'), JSON.stringify(route('aa', 1001)));
  await store.put(keys.route('bb'), JSON.stringify(route('bb', 1002)));
  const calls: string[] = [];
  const router = {
    setRoutes: (routes: readonly Route[]) => void calls.push(`set ${routes.map((r) => r.site).sort().join(',')}`),
    updateRoutes: (d: { put: readonly Route[]; remove: readonly string[] }) => void calls.push(`put ${d.put.map((r) => `${r.site}:${r.endpoints[0]?.port}${r.acme ? '+acme' : ''}`).join(',')} remove ${d.remove.join(',')}`),
  };
  const watch = await watchRoutes(asStore(store), router, captureLog().log);
  await store.put(keys.route('cc'), JSON.stringify(route('cc', 1003)));
  await store.put(keys.route('aa'), JSON.stringify(route('aa', 2001)));
  await store.delete(keys.route('bb'));
  await store.put(keys.route('cc'), 'not json'); // turned bad: leaves the table
  await store.put(keys.acmeChallenge('aa', 'c1'), JSON.stringify({ site: 'aa', domain: 'aa.test', type: 'http-01', token: 't1', keyAuthorization: 't1.k', createdAt: '' }));
  assert.deepEqual(calls, ['set aa,bb', 'put cc:1003 remove ', 'put aa:2001 remove ', 'put  remove bb', 'put  remove cc', 'put aa:2001+acme remove ']);

  store.breakWatches(); // a reload publishes the whole table again (and the challenges' sites)
  await waitFor(() => calls.length === 8, { what: 'the reload' });
  assert.deepEqual(calls.slice(6).sort(), ['put aa:2001+acme remove ', 'set aa']);
  watch.close();
});
