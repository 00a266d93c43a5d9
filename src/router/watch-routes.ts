// Keeps a router's table in step with the store: every route under keys.routes, the whole
// table at first (setRoutes) and then per site, each event batch's changed and removed
// sites only (updateRoutes; see watch-prefix.ts), so a route write costs a router the
// one site, not the table. Each record is read
// with the model's readRoute (the API's own schema): one the router cannot use is skipped,
// logged and counted, and every other site keeps being served. The same watch carries the
// pending ACME challenges (keys.acmeChallenges), each hung on its own site's route
// (acme-challenges.ts), so a challenge reaches every router process with the table.

import type { Logger } from '../lib/log.ts';
import { keyName, keys, readRoute, type AcmeChallengeRecord, type Route } from '../model/index.ts';
import type { KeyValue, Store } from '../store/types.ts';
import { parseChallenge, withChallenges } from './policy/acme-challenges.ts';
import { recordBadRecord } from './metrics.ts';
import type { Router } from './router.ts';
import { watchPrefix, type PrefixWatch } from './watch-prefix.ts';

/** The closer: call it, or its close(), to stop watching. Safe to call twice. */
export type RouteWatch = PrefixWatch;

/** Where the routes go: the whole table first (and after a reload), then per site when it can take that. */
export type RouteSink = Pick<Router, 'setRoutes'> & Partial<Pick<Router, 'updateRoutes'>>;

export async function watchRoutes(store: Store, router: RouteSink, log: Logger): Promise<RouteWatch> {
  const routes = new Map<string, Route>(); // site → its route as stored (no challenges)
  let loaded = false; // nothing is published before the table is in
  let challenges: AcmeChallengeRecord[] = [];
  const publishAll = () => loaded && router.setRoutes(withChallenges([...routes.values()], challenges));
  const load = (all: Route[]) => {
    routes.clear();
    for (const r of all) routes.set(r.site, r);
    loaded = true;
    publishAll();
  };
  // one event batch: only the sites it touched
  const update = ({ put, removed }: { put: Route[]; removed: Route[] }) => {
    for (const r of removed) if (routes.get(r.site) === r) routes.delete(r.site);
    for (const r of put) routes.set(r.site, r);
    if (!router.updateRoutes) return void publishAll();
    const remove = [...new Set(removed.map((r) => r.site))].filter((site) => !routes.has(site));
    router.updateRoutes({ put: withChallenges(put, challenges), remove });
  };
  // a challenge hangs on its own site's route: the sites whose challenges came or went are put again
  const setChallenges = (next: AcmeChallengeRecord[]) => {
    const touched = new Set([...challenges, ...next].map((c) => c.site));
    challenges = next;
    if (!loaded) return;
    if (!router.updateRoutes) return void publishAll();
    const put = [...touched].flatMap((site) => routes.get(site) ?? []);
    if (put.length > 0) router.updateRoutes({ put: withChallenges(put, challenges), remove: [] });
  };
  const acme = await watchPrefix(store, { prefix: keys.acmeChallenges, parse: (kv) => parseChallenge(kv, log), publish: setChallenges, log, what: 'acme' });
  let table: PrefixWatch;
  try {
    table = await watchPrefix(store, { prefix: keys.routes, parse: (kv) => parseRoute(kv, log), publish: load, update, log, what: 'routes' });
  } catch (err) {
    acme.close();
    throw err;
  }
  const close = (): void => (table.close(), acme.close());
  return Object.assign(close, { close });
}

/** A route record from the store, or undefined (logged, counted in corral_router_bad_records_total) if the router cannot use it. */
export function parseRoute(kv: KeyValue, log: Logger): Route | undefined {
  const read = readRoute(kv.value);
  // a bad balance or retry setting is dropped, not the site: the router's defaults serve it
  for (const d of read.dropped) {
    if (d.field === 'balance') log.warn({ event: 'routes.bad-balance', key: kv.key, balance: d.value, problem: d.problem }, 'bad balancing settings; using round robin');
    else log.warn({ event: 'routes.bad-retry', key: kv.key, retry: d.value, problem: d.problem }, 'bad retry settings; using the defaults');
  }
  if (read.route) return read.route;
  const site = read.site ?? keyName(kv.key);
  log.warn({ event: 'routes.bad-record', key: kv.key, site, problem: read.problem }, 'skipping a route record the router cannot use; other sites are served');
  recordBadRecord('route', site.slice(0, 64));
  return undefined;
}
