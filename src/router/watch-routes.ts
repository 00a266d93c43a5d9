// Keeps a router's table in step with the store: every route under keys.routes, swapped
// in as a whole table after each event batch (see watch-prefix.ts). Each record is checked
// with the model's schema (the API's own rules): one the router cannot use is skipped,
// logged and counted, and every other site keeps being served. The same watch carries the
// pending ACME challenges (keys.acmeChallenges), each hung on its own site's route
// (acme-challenges.ts), so a challenge reaches every router process with the table.

import type { Logger } from '../lib/log.ts';
import { balanceCheck, keyName, keys, retryCheck, routeCheck, type AcmeChallengeRecord, type Route } from '../model/index.ts';
import type { KeyValue, Store } from '../store/types.ts';
import { parseChallenge, withChallenges } from './acme-challenges.ts';
import { recordBadRecord } from './metrics.ts';
import type { Router } from './router.ts';
import { watchPrefix, type PrefixWatch } from './watch-prefix.ts';

/** The closer: call it, or its close(), to stop watching. Safe to call twice. */
export type RouteWatch = PrefixWatch;

export async function watchRoutes(store: Store, router: Pick<Router, 'setRoutes'>, log: Logger): Promise<RouteWatch> {
  let routes: Route[] | undefined; // nothing is published before the table is in
  let challenges: AcmeChallengeRecord[] = [];
  const publish = () => routes && router.setRoutes(withChallenges(routes, challenges));
  const acme = await watchPrefix(store, { prefix: keys.acmeChallenges, parse: (kv) => parseChallenge(kv, log), publish: (c) => ((challenges = c), publish()), log, what: 'acme' });
  let table: PrefixWatch;
  try {
    table = await watchPrefix(store, { prefix: keys.routes, parse: (kv) => parseRoute(kv, log), publish: (r) => ((routes = r), publish()), log, what: 'routes' });
  } catch (err) {
    acme.close();
    throw err;
  }
  const close = (): void => (table.close(), acme.close());
  return Object.assign(close, { close });
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
