// Keeps a router's table in step with the store: every route under keys.routes, swapped
// in as a whole table after each event batch (see watch-prefix.ts). Each record is checked
// with the model's schema (the API's own rules): one the router cannot use is skipped,
// logged and counted, and every other site keeps being served.

import type { Logger } from '../lib/log.ts';
import { balanceCheck, keyName, keys, retryCheck, routeCheck, type Route } from '../model/index.ts';
import type { KeyValue, Store } from '../store/types.ts';
import { recordBadRecord } from './metrics.ts';
import type { Router } from './router.ts';
import { watchPrefix, type PrefixWatch } from './watch-prefix.ts';

/** The closer: call it, or its close(), to stop watching. Safe to call twice. */
export type RouteWatch = PrefixWatch;

export function watchRoutes(store: Store, router: Pick<Router, 'setRoutes'>, log: Logger): Promise<RouteWatch> {
  return watchPrefix(store, { prefix: keys.routes, parse: (kv) => parseRoute(kv, log), publish: (routes) => router.setRoutes(routes), log, what: 'routes' });
}

/** A route record from the store, or undefined (logged, counted in corral_router_bad_records_total) if the router cannot use it. */
export function parseRoute(kv: KeyValue, log: Logger): Route | undefined {
  let v: unknown;
  try {
    v = JSON.parse(kv.value);
  } catch {
    v = undefined;
  }
  if (typeof v === 'object' && v !== null) fallBackToDefaults(v as Partial<Route>, kv.key, log);
  if (routeCheck.is(v)) return v;
  const site = typeof (v as Partial<Route> | undefined)?.site === 'string' ? String((v as Route).site) : keyName(kv.key);
  log.warn({ event: 'routes.bad-record', key: kv.key, site, problem: routeCheck.problem(v) ?? 'not JSON' }, 'skipping a route record the router cannot use; other sites are served');
  recordBadRecord('route', site.slice(0, 64));
  return undefined;
}

/** A bad balance or retry setting is dropped, not the site: the router's defaults serve it. */
function fallBackToDefaults(v: Partial<Route>, key: string, log: Logger): void {
  if (v.balance !== undefined && !balanceCheck.is(v.balance)) {
    log.warn({ event: 'routes.bad-balance', key, balance: v.balance, problem: balanceCheck.problem(v.balance) }, 'bad balancing settings; using round robin');
    delete v.balance;
  }
  if (v.retry !== undefined && !retryCheck.is(v.retry)) {
    log.warn({ event: 'routes.bad-retry', key, retry: v.retry, problem: retryCheck.problem(v.retry) }, 'bad retry settings; using the defaults');
    delete v.retry;
  }
}
