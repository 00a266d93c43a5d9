// Read-only views of the farm for the status routes: each virtual server as the merge of
// its assignment (desired) and its status (observed), scoped to what a principal may see.

import { keys, type Assignment, type DatabaseRecord, type EngineRecord, type FarmStatus, type Route, type ScaleRecord, type Site, type UnplacedRecord, type VirtualServerView, type VsStatus } from '../model/index.ts';
import type { Store } from '../store/types.ts';
import { inScope, type Scope } from './access.ts';
import { listRecords, readRecord } from './records.ts';
import { byText } from '../lib/text-order.ts';
import type { DatabaseSecrets } from './database-secrets.ts';
import { databaseLogins, loginUserOf, siteLoginUser } from './database-logins.ts';
import { runsAsSiteSays, servesAsSiteSays, startedAlike } from './site-start.ts';
import { farmRollouts } from './site-rollout.ts';
import { cappedPools } from './pool-capped.ts';
import { desiredReplicas } from './autoscale-rule.ts';

export type { VirtualServerView };

/** The farm as a scope may see it (FarmStatus without the leader). */
export type FarmView = Omit<FarmStatus, 'leader'>;

/**
 * What the views read of how each server was started, to tell a server leaving its route
 * from one waiting to join it (markDraining): the assignments by VS name, and the user of
 * the database login a site's servers get now (database-logins.ts).
 */
export interface StartFacts {
  assignments: ReadonlyMap<string, Assignment>;
  login(site: Site): string | undefined;
}

/**
 * Sites and VSs the scope may see; engines only for admins (an unscoped view). `secrets`:
 * to open the databases' logins (without, a server started with one is not as its site says).
 * The servers alone, for the routes that list or find them (GET /v1/vs, logs, exec):
 * farmStatusView adds each site's glance.
 */
export async function farmView(store: Store, scope: Scope, secrets?: DatabaseSecrets): Promise<Omit<FarmView, 'capped' | 'rollouts'>> {
  return (await readFarm(store, scope, secrets, false)).view;
}

/** farmView and each site's glance (FarmStatus's `rollouts`, `capped`): GET /v1/status. */
export async function farmStatusView(store: Store, scope: Scope, secrets?: DatabaseSecrets): Promise<FarmView> {
  const { view, starts, routes, scales, unplaced } = await readFarm(store, scope, secrets, true);
  const capped = await cappedPools(store, view.sites);
  const rollouts = farmRollouts(view.sites, siteServers(view), starts, routes, wantedReplicas(capped, scales), unplaced);
  return { ...view, ...(capped ? { capped } : {}), rollouts };
}

async function readFarm(store: Store, scope: Scope, secrets: DatabaseSecrets | undefined, glance: boolean) {
  const [engines, sites, assignments, statuses, routes, scales, unplaced, databases] = await Promise.all([
    scope.customer === undefined ? listRecords<EngineRecord>(store, keys.engines) : [],
    listRecords<Site>(store, keys.sites),
    listRecords<Assignment>(store, keys.assignments),
    listRecords<VsStatus>(store, keys.vsStatuses),
    listRecords<Route>(store, keys.routes),
    glance ? listRecords<ScaleRecord>(store, keys.scales) : [],
    glance ? listRecords<UnplacedRecord>(store, keys.unplaced) : [],
    secrets ? listRecords<DatabaseRecord>(store, keys.databases) : [],
  ]);
  const logins = secrets && databases.length > 0 ? databaseLogins(databases, secrets) : undefined;
  const starts: StartFacts = { assignments: new Map(assignments.map((a) => [a.vs, a])), login: (site) => loginUserOf(site, logins) };
  const byRoute = new Map(routes.map((r) => [r.site, r]));
  const { sites: visible, virtualServers } = scopedView(scope, sites, mergeViews(assignments, statuses), byRoute, starts);
  const view = { engines, sites: visible.map(withoutPages), virtualServers };
  return { view, starts, routes: byRoute, scales: new Map(scales.map((s) => [s.site, s])), unplaced: new Map(unplaced.map((u) => [u.site, u])) };
}

/** How many servers a site wants now: what a capped pooled site can have, an autoscaled one's count (autoscale-rule.ts), else its replicas. */
export function wantedReplicas(capped: Record<string, number> | undefined, scales: ReadonlyMap<string, ScaleRecord> | undefined): (site: Site) => number {
  return (site) => capped?.[site.name] ?? desiredReplicas(site, scales?.get(site.name));
}

/**
 * The sites and VSs a scope may see, from the farm's records (`merged`: mergeViews of every
 * assignment and status); the sites as stored (the views show them withoutPages).
 */
export function scopedView(scope: Scope, sites: readonly Site[], merged: readonly VirtualServerView[], routes: ReadonlyMap<string, Route>, starts: StartFacts): { sites: Site[]; virtualServers: VirtualServerView[] } {
  const visibleSites = sites.filter((s) => inScope(scope, s.customer));
  const owned = new Map(visibleSites.map((s) => [s.name, s]));
  return { sites: visibleSites, virtualServers: markDraining(merged.filter((v) => vsVisible(scope, owned, v)), owned, routes, starts) };
}

/**
 * A site as the status views show it: without the HTML of its maintenance and error pages
 * (up to 512 KiB a site, re-sent by the status stream on every change). Which pages it
 * has stays visible; GET /v1/sites/:name has the pages themselves.
 */
export function withoutPages(site: Site): Site {
  if (site.maintenance?.page === undefined && site.errorPages === undefined) return site;
  const { page, ...maintenance } = site.maintenance ?? { on: false };
  const { errorPages, ...rest } = site;
  return {
    ...rest,
    ...(site.maintenance ? { maintenance: { ...maintenance, ...(page !== undefined ? { page: '' } : {}) } } : {}),
    ...(errorPages ? { errorPages: Object.fromEntries(Object.keys(errorPages).map((status) => [status, ''])) } : {}),
  };
}

/** A VS is the scope's if its assignment names the customer, or (no assignment) its site — that very site, by id — is the scope's. */
function vsVisible(scope: Scope, ownedSites: Map<string, Site>, v: VirtualServerView): boolean {
  if (scope.customer === undefined) return true;
  if (v.customer !== undefined) return v.customer === scope.customer;
  const site = ownedSites.get(v.site);
  return site !== undefined && sameSiteId(v, site);
}

/**
 * The VSs of one site (of this site's owner and id, not of an earlier site of the same name),
 * and the pool VSs of its customer that hold it, each with the release it serves of the
 * site (`…` until its runtime has loaded it).
 */
export function siteViews(view: FarmView, site: Site): VirtualServerView[] {
  const own = view.virtualServers.filter((v) => !v.pool && v.site === site.name && ownServer(v, site));
  const pools = view.virtualServers.filter((v) => v.pool && v.customer === site.customer && v.pool.includes(site.name));
  return [...own, ...pools.map((v) => atRelease(v, site.name))];
}

/** siteViews of every site of the view at once (site name → its servers), in one pass over the VSs. */
export function siteGroups(view: Pick<FarmView, 'sites' | 'virtualServers'>): Map<string, VirtualServerView[]> {
  return new Map([...siteServers(view)].map(([name, vss]) => [name, vss.map((v) => (v.pool ? atRelease(v, name) : v))]));
}

/**
 * siteGroups without a copy of any server: a pool VS as it is, holding the site (the release
 * it shows of it is in its `sites`). For counts over the whole farm (site-rollout.ts farmRollouts).
 */
export function siteServers(view: Pick<FarmView, 'sites' | 'virtualServers'>): Map<string, VirtualServerView[]> {
  const sites = new Map(view.sites.map((s) => [s.name, s]));
  const out = new Map<string, VirtualServerView[]>(view.sites.map((s) => [s.name, []]));
  // the site's own first, then the pools holding it
  for (const v of view.virtualServers) {
    const site = v.pool ? undefined : sites.get(v.site);
    if (site && ownServer(v, site)) out.get(v.site)!.push(v);
  }
  for (const v of view.virtualServers) {
    for (const name of v.pool ?? []) if (sites.get(name)?.customer === v.customer) out.get(name)!.push(v);
  }
  return out;
}

/** One of the site's own VSs: of this site's owner and id, not of an earlier site of the same name. */
function ownServer(v: VirtualServerView, site: Site): boolean {
  return (v.customer === undefined || v.customer === site.customer) && sameSiteId(v, site);
}

/** A pool VS as one site's server: at the release it serves of it (`…` until its runtime has loaded it). */
function atRelease(v: VirtualServerView, site: string): VirtualServerView {
  return { ...v, release: v.sites?.[site] ?? '…' };
}

/**
 * siteViews of the farm view of a scope that may see the site, read without listing every
 * site and route: the VSs (all of them: their keys do not name the site) and the site's route.
 * Also the assignments of those VSs (by name), the route and the user of the database login
 * its servers get now (`secrets`: to open it), which its status reads too.
 */
export async function siteView(store: Store, site: Site, secrets?: DatabaseSecrets): Promise<{ virtualServers: VirtualServerView[]; assignments: Map<string, Assignment>; route: Route | undefined; login: string | undefined }> {
  const [assignments, statuses, stored, login] = await Promise.all([
    listRecords<Assignment>(store, keys.assignments),
    listRecords<VsStatus>(store, keys.vsStatuses),
    readRecord<Route>(store, keys.route(site.name)),
    siteLoginUser(store, site, secrets),
  ]);
  const route = stored?.value;
  const byVs = new Map(assignments.map((a) => [a.vs, a]));
  // the VSs siteViews keeps are the site's own and its customer's pools: visible to any scope that sees the site
  const views = markDraining(mergeViews(assignments, statuses), new Map([[site.name, site]]), new Map(route ? [[site.name, route]] : []), { assignments: byVs, login: () => login });
  const virtualServers = siteViews({ engines: [], sites: [site], virtualServers: views }, site);
  const names = new Set(virtualServers.map((v) => v.vs));
  return { virtualServers, assignments: new Map(assignments.filter((a) => names.has(a.vs)).map((a) => [a.vs, a])), route, login };
}

/** Unless both are known (records written before ids), a VS's site id must be the site's. */
function sameSiteId(v: VirtualServerView, site: Site): boolean {
  return v.siteId === undefined || site.id === undefined || v.siteId === site.id;
}

/** Releases the router balances a site over, from its published route. */
export function routeReleases(route: Route | undefined): string[] {
  return [...new Set(route?.endpoints.map((e) => e.release) ?? [])].sort();
}

export function mergeViews(assignments: Assignment[], statuses: VsStatus[]): VirtualServerView[] {
  const byVs = new Map<string, VirtualServerView>();
  for (const a of assignments) {
    byVs.set(a.vs, { vs: a.vs, engine: a.engine, site: a.site, ...(a.siteId !== undefined ? { siteId: a.siteId } : {}), release: a.release, customer: a.customer, kind: a.kind, sha256: a.sha256, assigned: true, ...(a.pool ? { pool: a.pool.sites.map((e) => e.site) } : {}) });
  }
  for (const s of statuses) {
    const { vs, engine, site, siteId, release, state, address, port, pid, restarts, lastExit, updatedAt, runtime, limits, usage, sites } = s;
    const observed = { state, address, port, pid, restarts, lastExit, updatedAt, ...(runtime ? { runtime } : {}), ...(limits ? { limits } : {}), ...(usage ? { usage } : {}), ...(sites ? { sites } : {}) };
    byVs.set(vs, { ...(byVs.get(vs) ?? { vs, engine, site, ...(siteId !== undefined ? { siteId } : {}), release, assigned: false }), ...observed });
  }
  return [...byVs.values()].sort((a, b) => byText(a.site, b.site) || byText(a.vs, b.vs));
}

/**
 * Marks `draining` the ready VSs of a site that leave its route: out of it, and retired —
 * not started as the site says now (site-start.ts, the reconciler's rule), or beyond the
 * servers it wants — while their process runs on. Not a new server waiting for its
 * rollout's switch (a new release or new settings, the route serving the previous start
 * until every new one is ready), nor one started like those the route serves, which the
 * reconciler routes again.
 */
export function markDraining(views: VirtualServerView[], sites: ReadonlyMap<string, Site>, bySite: ReadonlyMap<string, Route>, starts: StartFacts): VirtualServerView[] {
  return views.map((v) => {
    const site = sites.get(v.site);
    const route = bySite.get(v.site);
    if (!site || !route || v.pool || v.state !== 'ready' || !v.assigned || !sameSiteId(v, site)) return v;
    if (route.endpoints.length === 0 || route.endpoints.some((e) => e.vs === v.vs)) return v;
    const a = starts.assignments.get(v.vs);
    return a && leavesRoute(a, site, route, starts) ? { ...v, draining: true } : v;
  });
}

/**
 * A server out of its site's route is leaving it: one started as the site says once the route
 * serves only such servers (a scale-down's extra, one moved off a draining engine; before, the
 * rollout's switch takes it in), any other unless started like a server the route serves (the
 * start rolled out before, serving on while the rollout is not ready).
 */
function leavesRoute(a: Assignment, site: Site, route: Route, starts: StartFacts): boolean {
  const login = starts.login(site);
  if (runsAsSiteSays(a, site, login)) {
    return route.endpoints.every((e) => {
      const routed = starts.assignments.get(e.vs);
      return routed !== undefined && servesAsSiteSays(routed, e.release, site, login);
    });
  }
  return !route.endpoints.some((e) => {
    const routed = starts.assignments.get(e.vs);
    return routed !== undefined && !routed.pool && startedAlike(a, routed);
  });
}

/**
 * Adds memory and CPU time: the guest's own sampled usage where its runtime reports one
 * (namespace: the whole cgroup), else what the usage reader sees of its main process.
 */
export function withUsage(views: VirtualServerView[], usage: ((v: { engine: string; pid?: number }) => { memoryBytes: number; cpuSeconds: number } | undefined) | undefined): VirtualServerView[] {
  return views.map((v) => {
    if (v.usage) return { ...v, memoryBytes: v.usage.memoryBytes, cpuSeconds: v.usage.cpuUsec / 1e6 };
    const u = usage && v.pid !== undefined && v.state !== undefined ? usage(v) : undefined;
    return u ? { ...v, memoryBytes: u.memoryBytes, cpuSeconds: u.cpuSeconds } : v;
  });
}
