// Read-only views of the farm for the status routes: each virtual server as the merge of
// its assignment (desired) and its status (observed), scoped to what a principal may see.

import { keys, type Assignment, type EngineRecord, type FarmStatus, type Route, type Site, type VirtualServerView, type VsStatus } from '../model/index.ts';
import type { Store } from '../store/types.ts';
import { inScope, type Scope } from './access.ts';
import { listRecords, readRecord } from './records.ts';
import { byText } from '../lib/text-order.ts';

export type { VirtualServerView };

/** The farm as a scope may see it (FarmStatus without the leader). */
export type FarmView = Omit<FarmStatus, 'leader'>;

/** Sites and VSs the scope may see; engines only for admins (an unscoped view). */
export async function farmView(store: Store, scope: Scope): Promise<FarmView> {
  const [engines, sites, assignments, statuses, routes] = await Promise.all([
    scope.customer === undefined ? listRecords<EngineRecord>(store, keys.engines) : [],
    listRecords<Site>(store, keys.sites),
    listRecords<Assignment>(store, keys.assignments),
    listRecords<VsStatus>(store, keys.vsStatuses),
    listRecords<Route>(store, keys.routes),
  ]);
  const view = scopedView(scope, sites, mergeViews(assignments, statuses), new Map(routes.map((r) => [r.site, r])));
  return { engines, sites: view.sites.map(withoutPages), virtualServers: view.virtualServers };
}

/**
 * The sites and VSs a scope may see, from the farm's records (`merged`: mergeViews of every
 * assignment and status); the sites as stored (the views show them withoutPages).
 */
export function scopedView(scope: Scope, sites: readonly Site[], merged: readonly VirtualServerView[], routes: ReadonlyMap<string, Route>): { sites: Site[]; virtualServers: VirtualServerView[] } {
  const visibleSites = sites.filter((s) => inScope(scope, s.customer));
  const owned = new Map(visibleSites.map((s) => [s.name, s]));
  return { sites: visibleSites, virtualServers: markDraining(merged.filter((v) => vsVisible(scope, owned, v)), owned, routes) };
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
  const own = view.virtualServers.filter((v) => !v.pool && v.site === site.name && (v.customer === undefined || v.customer === site.customer) && sameSiteId(v, site));
  const pools = view.virtualServers.filter((v) => v.pool && v.customer === site.customer && v.pool.includes(site.name));
  return [...own, ...pools.map((v) => ({ ...v, release: v.sites?.[site.name] ?? '…' }))];
}

/**
 * siteViews of the farm view of a scope that may see the site, read without listing every
 * site and route: the VSs (all of them: their keys do not name the site) and the site's route.
 * Also the assignments of those VSs (by name) and the route, which its status reads too.
 */
export async function siteView(store: Store, site: Site): Promise<{ virtualServers: VirtualServerView[]; assignments: Map<string, Assignment>; route: Route | undefined }> {
  const [assignments, statuses, stored] = await Promise.all([
    listRecords<Assignment>(store, keys.assignments),
    listRecords<VsStatus>(store, keys.vsStatuses),
    readRecord<Route>(store, keys.route(site.name)),
  ]);
  const route = stored?.value;
  // the VSs siteViews keeps are the site's own and its customer's pools: visible to any scope that sees the site
  const views = markDraining(mergeViews(assignments, statuses), new Map([[site.name, site]]), new Map(route ? [[site.name, route]] : []));
  const virtualServers = siteViews({ engines: [], sites: [site], virtualServers: views }, site);
  const names = new Set(virtualServers.map((v) => v.vs));
  return { virtualServers, assignments: new Map(assignments.filter((a) => names.has(a.vs)).map((a) => [a.vs, a])), route };
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
 * Marks the ready VSs of a site that its route left out (see `draining`): when the route
 * serves only the site's release, or — a rollout under way, the previous release serving —
 * when the VS is of a release neither desired nor served (retired by an earlier rollout).
 */
export function markDraining(views: VirtualServerView[], sites: ReadonlyMap<string, Site>, bySite: ReadonlyMap<string, Route>): VirtualServerView[] {
  return views.map((v) => {
    const site = sites.get(v.site);
    const route = bySite.get(v.site);
    if (!site || !route || v.state !== 'ready' || !v.assigned || !sameSiteId(v, site)) return v;
    if (route.endpoints.length === 0 || route.endpoints.some((e) => e.vs === v.vs)) return v;
    const switched = route.endpoints.every((e) => e.release === site.release);
    const replaced = v.release !== site.release && !route.endpoints.some((e) => e.release === v.release);
    return switched || replaced ? { ...v, draining: true } : v;
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
