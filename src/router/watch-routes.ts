// Keeps a router's table in step with the store: every route under keys.routes, swapped
// in as a whole table after each event batch (see watch-prefix.ts).

import type { Logger } from '../lib/log.ts';
import { keys, type Route } from '../model/index.ts';
import type { KeyValue, Store } from '../store/types.ts';
import type { Router } from './router.ts';
import { watchPrefix, type PrefixWatch } from './watch-prefix.ts';

/** The closer: call it, or its close(), to stop watching. Safe to call twice. */
export type RouteWatch = PrefixWatch;

export function watchRoutes(store: Store, router: Pick<Router, 'setRoutes'>, log: Logger): Promise<RouteWatch> {
  return watchPrefix(store, { prefix: keys.routes, parse: (kv) => parseRoute(kv, log), publish: (routes) => router.setRoutes(routes), log, what: 'routes' });
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
    if (ok && v.retry !== undefined && !validRetry(v.retry)) {
      log.warn({ event: 'routes.bad-retry', key: kv.key, retry: v.retry }, 'bad retry settings; using the defaults');
      delete v.retry;
    }
    if (ok) return v as Route;
  } catch {
    // fall through
  }
  log.warn({ event: 'routes.bad-record', key: kv.key }, 'ignoring a route record that is not valid');
  return undefined;
}

/** The route's retry settings are numbers in range (the controller checked them; a record may come from elsewhere). */
function validRetry(r: unknown): boolean {
  if (typeof r !== 'object' || r === null) return false;
  const { perTryTimeoutMs: t, budgetRatio: b, minRetriesPerSecond: m, maxTries: n } = r as Record<string, unknown>;
  const int = (v: unknown, min: number) => v === undefined || (Number.isInteger(v) && (v as number) >= min);
  return int(t, 1) && int(m, 0) && int(n, 1) && (b === undefined || (typeof b === 'number' && b >= 0 && b <= 1));
}
