// Keeps a router's table in step with the store: load every route under keys.routes,
// then watch from the next revision and swap in a new table after each event batch.
// If the watch breaks (e.g. its revision was compacted) it reloads and watches again.

import type { Logger } from '../lib/log.ts';
import { keys, type Route } from '../model/index.ts';
import type { KeyValue, Store, Watcher, WatchEvent } from '../store/types.ts';
import type { Router } from './router.ts';

/** The closer: call it, or its close(), to stop watching. Safe to call twice. */
export type RouteWatch = (() => void) & { close(): void };

export async function watchRoutes(store: Store, router: Pick<Router, 'setRoutes'>, log: Logger): Promise<RouteWatch> {
  const routes = new Map<string, Route>();
  let watcher: Watcher | undefined;
  let closed = false;

  const publish = () => router.setRoutes([...routes.values()]);
  const apply = (kv: KeyValue) => {
    const route = parseRoute(kv, log);
    if (route) routes.set(kv.key, route);
    else routes.delete(kv.key);
  };

  const start = async (): Promise<void> => {
    const { kvs, revision } = await store.range(keys.routes);
    if (closed) return;
    routes.clear();
    kvs.forEach(apply);
    publish();
    watcher = await store.watch(keys.routes, onEvents, { fromRevision: revision + 1, onError: restart });
    if (closed) watcher.close();
  };

  function onEvents(events: WatchEvent[]): void {
    if (closed) return;
    for (const ev of events) {
      if (ev.type === 'put') apply(ev.kv);
      else routes.delete(ev.kv.key);
    }
    publish();
  }

  function restart(err: Error): void {
    if (closed) return;
    log.warn({ event: 'routes.watch-error', err: err.message }, 'route watch broke; reloading');
    watcher?.close();
    start().catch((e: unknown) => {
      log.error({ event: 'routes.reload-failed', err: (e as Error).message }, 'route reload failed');
      if (!closed) setTimeout(() => restart(e as Error), 1000).unref();
    });
  }

  await start();
  const close = (): void => {
    closed = true;
    watcher?.close();
  };
  return Object.assign(close, { close });
}

const POLICIES = new Set<unknown>(['round-robin', 'least-conn', 'weighted', 'sticky', 'hash']);

/** A route record from the store, or undefined (logged) if it is not one. */
export function parseRoute(kv: KeyValue, log: Logger): Route | undefined {
  try {
    const v = JSON.parse(kv.value) as Partial<Route>;
    const ok =
      typeof v.site === 'string' &&
      Array.isArray(v.domains) &&
      v.domains.every((d) => typeof d === 'string') &&
      Array.isArray(v.endpoints) &&
      v.endpoints.every((e) => typeof e?.address === 'string' && Number.isInteger(e.port) && e.port > 0 && e.port < 65536);
    if (ok && v.balance !== undefined && !POLICIES.has(v.balance?.policy)) {
      log.warn({ event: 'routes.bad-balance', key: kv.key, balance: v.balance }, 'unknown balancing policy; using round robin');
      delete v.balance;
    }
    if (ok) return v as Route;
  } catch {
    // fall through
  }
  log.warn({ event: 'routes.bad-record', key: kv.key }, 'ignoring a route record that is not valid');
  return undefined;
}
