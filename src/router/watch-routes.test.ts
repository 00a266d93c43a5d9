import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keys, type Route } from '../model/index.ts';
import type { KeyValue, Store, WatchEvent, WatchOptions } from '../store/types.ts';
import { waitFor } from '../lib/wait.ts';
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
  await store.put(keys.route('a'), JSON.stringify(route('a', 1001)));
  await store.put(keys.route('b'), JSON.stringify(route('b', 1002)));
  await store.put(keys.site('not-a-route'), '{}');
  const router = fakeRouter();
  const watch = await watchRoutes(asStore(store), router, captureLog().log);
  assert.deepEqual(router.tables, [['a', 'b']]);
  await store.put(keys.route('c'), JSON.stringify(route('c', 1003)));
  await store.delete(keys.route('a'));
  assert.deepEqual(router.tables.slice(1), [['a', 'b', 'c'], ['b', 'c']]);
  watch();
  watch.close();
  await store.put(keys.route('d'), JSON.stringify(route('d', 1004)));
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
  await store.put(keys.route('a'), JSON.stringify(route('a', 1001)));
  const router = fakeRouter();
  const { log, events } = captureLog();
  const watch = await watchRoutes(asStore(store), router, log);
  store.breakWatches();
  await waitFor(() => store.watcherCount() === 1, { what: 'the watch to restart' });
  assert.equal(events('routes.watch-error').length, 1);
  await store.put(keys.route('b'), JSON.stringify(route('b', 1002)));
  assert.deepEqual(router.tables.at(-1), ['a', 'b']);
  watch.close();
});
