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
  const virtualServers = views.map((v) => (isCurrent(v, v.release, site, assignments, login) ? { ...v, current: true as const } : v));
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
 * `groups`: each site's servers (farm-view.ts siteServers, or siteGroups); `replicas`: how
 * many a site wants now; `unplaced`: the unplaced records by site name. Counts only: at
 * 10,000 sites it runs on every status read and stream rebuild, so it copies no server.
 */
export function farmRollouts(
  sites: readonly Site[],
  groups: ReadonlyMap<string, readonly VirtualServerView[]>,
  starts: { assignments: ReadonlyMap<string, Assignment>; login(site: Site): string | undefined },
  routes: ReadonlyMap<string, Route>,
  replicas: (site: Site) => number,
  unplaced?: ReadonlyMap<string, UnplacedRecord>,
): Record<string, SiteGlance> {
  const out: Record<string, SiteGlance> = {};
  for (const site of sites) {
    const endpoints = routes.get(site.name)?.endpoints ?? [];
    const wanted = replicas(site);
    const login = starts.login(site);
    let serving = 0, ready = 0, replacing = false, failingNew = false;
    const current: string[] = []; // a site has a few servers: an array beats a set
    for (const v of groups.get(site.name) ?? []) {
      const routed = endpoints.some((e) => e.vs === v.vs);
      if (v.state === 'ready' && routed) serving++;
      if (isCurrent(v, v.pool ? (v.sites?.[site.name] ?? '…') : v.release, site, starts.assignments, login)) {
        current.push(v.vs);
        if (v.state === 'ready') ready++;
        else if (failing(v)) failingNew = true;
      } else if (v.assigned || routed) replacing = true;
    }
    // siteRollout's done: enough current servers ready and the route serving only them, at the site's release
    const done = ready >= wanted && endpoints.every((e) => e.release === site.release && current.includes(e.vs));
    // a rollout replaces servers: a site only scaling up, or never deployed, has none under way
    const under = site.release !== undefined && !done && replacing;
    const waiting = unplaced && unplaced.size > 0 ? unplacedView(site, unplaced.get(site.name)) : undefined;
    out[site.name] = { serving, replicas: wanted, ...(under ? { rollout: { ready, ...(failingNew ? { stuck: true as const } : {}) } } : {}), ...(waiting ? { unplaced: waiting } : {}) };
  }
  return out;
}

/**
 * Whether a server of the site runs what the site says now (site-start.ts servesAsSiteSays);
 * `shows`: the release it shows of the site (a pool VS's own for the site, `…` until its
 * runtime has loaded it; farm-view.ts atRelease).
 */
function isCurrent(v: VirtualServerView, shows: string | undefined, site: Site, assignments: ReadonlyMap<string, Assignment>, login: string | undefined): boolean {
  const a = v.assigned ? assignments.get(v.vs) : undefined;
  return a !== undefined && servesAsSiteSays(a, shows, site, login);
}

/** Crashed, backing off or unhealthy, or starting again after a crash. */
function failing(v: VirtualServerView): boolean {
  return v.state === 'crashed' || v.state === 'backoff' || v.state === 'unhealthy' || (v.restarts ?? 0) > 0;
}
