// A site's rollout as its status tells it (GET /v1/sites/:name/status): which of its servers
// run what the site says now — by the reconciler's own rule (site-start.ts) — and whether the
// router serves only those. `corral deploy`, `corral rollback` and `corral site set` wait on it:
// a release is not the only thing a rollout changes (a new environment keeps the release).
// Both views also say why servers the site wants are not placed (the reconciler's unplaced
// record), so a wait that cannot end says why.
import type { Assignment, Route, Site, SiteGlance, SiteStatus, UnplacedRecord, UnplacedView, VirtualServerView } from '../model/index.ts';
import { servesAsSiteSays } from './site-start.ts';

/**
 * `views`: the site's servers (farm-view.ts siteViews: its own, and the pool VSs holding it,
 * each at the release it shows of it), returned with `current` marked; `assignments`: theirs,
 * by VS name; `route`: the site's published one; `replicas`: how many it should have now;
 * `login`: the user of the database login its servers get now (none: no database).
 */
export function siteRollout(
  site: Site,
  views: readonly VirtualServerView[],
  assignments: ReadonlyMap<string, Assignment>,
  route: Route | undefined,
  replicas: number,
  login: string | undefined,
): { virtualServers: VirtualServerView[]; rollout: NonNullable<SiteStatus['rollout']> } {
  const isCurrent = (v: VirtualServerView): boolean => {
    const a = v.assigned ? assignments.get(v.vs) : undefined;
    return a !== undefined && servesAsSiteSays(a, v.release, site, login);
  };
  const virtualServers = views.map((v) => (isCurrent(v) ? { ...v, current: true as const } : v));
  const current = new Set(virtualServers.filter((v) => v.current).map((v) => v.vs));
  // a current server marked `draining` (a scale-down's extra) still counts: it is ready, and beyond `replicas`
  const ready = virtualServers.filter((v) => v.current && v.state === 'ready').length;
  // the route names each endpoint's release: a pool's may lag what the pool shows
  const routed = (route?.endpoints ?? []).every((e) => current.has(e.vs) && e.release === site.release);
  return { virtualServers, rollout: { ready, done: ready >= replicas && routed } };
}

/** What the status views show of a site's unplaced record: only this very site's (by id), not a deleted namesake's. */
export function unplacedView(site: Site, record: UnplacedRecord | undefined): UnplacedView | undefined {
  if (!record || (record.siteId !== undefined && site.id !== undefined && record.siteId !== site.id)) return undefined;
  return { count: record.count, reason: record.reason, since: record.since };
}

/**
 * Each site's glance for GET /v1/status (and its stream): the ready servers its route serves
 * now and, while servers not running what it says are still to be replaced, its rollout
 * (siteRollout's count) and whether it is stuck; the servers no engine can take and why.
 * `groups`: each site's servers (farm-view.ts siteGroups); `replicas`: how many a site wants
 * now; `unplaced`: the unplaced records by site name.
 */
export function farmRollouts(
  sites: readonly Site[],
  groups: ReadonlyMap<string, VirtualServerView[]>,
  starts: { assignments: ReadonlyMap<string, Assignment>; login(site: Site): string | undefined },
  routes: ReadonlyMap<string, Route>,
  replicas: (site: Site) => number,
  unplaced?: ReadonlyMap<string, UnplacedRecord>,
): Record<string, SiteGlance> {
  const out: Record<string, SiteGlance> = {};
  for (const site of sites) {
    const route = routes.get(site.name);
    const wanted = replicas(site);
    const { virtualServers, rollout } = siteRollout(site, groups.get(site.name) ?? [], starts.assignments, route, wanted, starts.login(site));
    const routed = new Set(route?.endpoints.map((e) => e.vs) ?? []);
    const serving = virtualServers.filter((v) => v.state === 'ready' && routed.has(v.vs)).length;
    // a rollout replaces servers: a site only scaling up, or never deployed, has none under way
    const replacing = site.release !== undefined && !rollout.done && virtualServers.some((v) => !v.current && (v.assigned || routed.has(v.vs)));
    const stuck = replacing && virtualServers.some((v) => v.current && v.state !== 'ready' && failing(v));
    const waiting = unplaced && unplaced.size > 0 ? unplacedView(site, unplaced.get(site.name)) : undefined;
    out[site.name] = { serving, replicas: wanted, ...(replacing ? { rollout: { ready: rollout.ready, ...(stuck ? { stuck: true as const } : {}) } } : {}), ...(waiting ? { unplaced: waiting } : {}) };
  }
  return out;
}

/** Crashed, backing off or unhealthy, or starting again after a crash. */
function failing(v: VirtualServerView): boolean {
  return v.state === 'crashed' || v.state === 'backoff' || v.state === 'unhealthy' || (v.restarts ?? 0) > 0;
}
