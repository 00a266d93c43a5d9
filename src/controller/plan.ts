// The reconciler's brain, a pure function: from a snapshot of desired and observed
// state, the actions that move the farm one step closer to the desired state.
//
// Per site, the rollout rule is "build, swap, then stop":
//   1. make sure `replicas` virtual servers of the desired release are assigned;
//   2. keep routing to the old release's ready servers until every new one is ready,
//      then publish the new endpoints in one route write;
//   3. once an old server has been out of the route for the site's drain timeout
//      (`drainTimeoutMs`, default DEFAULT_DRAIN_TIMEOUT_MS; never less than the
//      reconciler's `drainDelayMs`), delete its assignment: its engine then stops it
//      (SIGTERM, its grace, SIGKILL). Until then the server keeps its open connections —
//      WebSockets, long requests — while new ones go to the new release. A rollback and
//      a scale-down retire servers by the same rule; a deleted site's servers go after
//      `drainDelayMs`.
//   A retired server never serves again: while a rollout is not ready, only the servers like
//   the newest one the route serves (the release and start fully rolled out before) stay in
//   it; those drained out by an earlier rollout, or built by one replaced before it was
//   ready, drain on and go after their timeout, whether or not the new release ever starts.
//
// Spread is kept ("rebalance"), by the same rule: when an engine joins, returns or is
// undrained, a site left unbalanced moves one replica at a time.
//   - Unbalanced (scheduler.ts `spreadMove`): max − min replicas per engine ≥ 2, counted
//     over the engines holding the site's replicas and every eligible engine (registered,
//     taking the site: scheduler.ts `takesSite`; below its maxVirtualServers, with memory for
//     one more of the site's servers: memory-room.ts). So 4 on A
//     with B empty moves (4−0), 3 on A/B stays 2/1. Each move lowers Σ count² strictly:
//     the moves end, never oscillate.
//   - Only when the site is steady: its release set, `replicas` ≥ 2 servers of it, all
//     ready and all in the route, nothing else assigned (no rollout, rollback, scale-down,
//     engine drain or retirement under way), and no move already in flight for the site.
//   - A move: assign one server of the current release on the emptiest eligible engine
//     (`PlanMemory.moves`); the route stays as it is while it starts; once it is ready a
//     server on a fullest engine (newest first) leaves the route in the same write that
//     adds the new one, and retires after the drain timeout like any other. The next move
//     waits until that assignment is gone. A build that is not ready within
//     SPREAD_MOVE_TIMEOUT_MS is abandoned (retired as a surplus, the not-ready one first).
//
// A site bound to a database runs only on engines whose guests reach it
// (EngineRecord.reachesDatabase; scheduler.ts `takesSite`). Its servers on any other
// engine count as old, as on a draining engine: replaced on one that reaches it, serving
// until the replacements are ready, staying where they are while there is none; the site is
// placed as soon as an engine that reaches the database joins (an engine change plans every site).
//
// Servers that cannot be placed, for any reason (no engine, every engine draining or at its
// maxVirtualServers, none with memory for them, none reaching the site's database:
// scheduler.ts `unplacedReason`), are
// kept in the site's unplaced record (snap.unplaced, like a route: put only when its count or
// reason changes, deleted once all are placed), which the status views read. A site that had
// none is named in `PlanActions.unplaced` (the reconciler's `site.unplaced` event): once per
// episode, again only after they were placed and the want came back.
//
// A site that autoscales counts the autoscaler's replicas (snap.scales, autoscale-rule.ts
// desiredReplicas) instead of its own `replicas`; at 0 its route is marked `idle`.

import { randomBytes } from 'node:crypto';
import { assignmentStorageKey, checkedPath, siteStorageKey, type Assignment, type AssignmentDatabase, type Balance, type EngineRecord, type Endpoint, type Release, type Route, type ScaleRecord, type Site, type UnplacedRecord, type VsStatus } from '../model/index.ts';

import { appendOnly, placeReplicas, spreadMove, takesSite, unplacedReason, type Placed } from './scheduler.ts';
import { siteMemoryMb } from './memory-room.ts';
import { finishPools, isPooled, planPooledSite, poolAssignment, poolBook, poolFallback, POOL_MAX_IN_FLIGHT, type PoolBook } from './plan-pool.ts';
import { desiredReplicas } from './autoscale-rule.ts';
import { byText } from '../lib/text-order.ts';
import { sameJson } from '../lib/same-json.ts';
import { inStoreOrder, siteIndexOf, type SiteIndex } from './site-index.ts';
import { runsAsSiteSays, startedAlike } from './site-start.ts';

/** A site's drain timeout when it sets none. */
export const DEFAULT_DRAIN_TIMEOUT_MS = 5_000;
/** How long a spread move waits for its new server to be ready before giving it up. */
export const SPREAD_MOVE_TIMEOUT_MS = 120_000;

export interface FarmSnapshot {
  sites: Site[];
  /** Keyed by `${site}/${releaseId}`. */
  releases: Map<string, Release>;
  engines: EngineRecord[];
  assignments: Assignment[];
  /** Keyed by VS name. */
  statuses: Map<string, VsStatus>;
  /** Keyed by site name. */
  routes: Map<string, Route>;
  /** Customers' databases by name: their owner and current login (read only where the controller can open the passwords). */
  databases?: Map<string, { customer: string; login: AssignmentDatabase }>;
  /** The autoscaler's decisions, keyed by site name (absent: none). */
  scales?: Map<string, ScaleRecord>;
  /** The sites by name, key and customer (site-index.ts), kept by the farm mirror; absent: made from `sites` when needed. */
  siteIndex?: SiteIndex;
  /** The stored unplaced records (keys.unplaced), keyed by site name (absent: none). */
  unplaced?: Map<string, UnplacedRecord>;

}

/** What the reconciler remembers between passes (lost on restart, which only delays). */
export interface PlanMemory {
  /** VS name → first time it was seen outside its site's route while due to retire. */
  retiringSince: Map<string, number>;
  /** Engine id → first time an assignment pointed at it while it was not registered. */
  engineMissingSince: Map<string, number>;
  /** Site storage key → the spread move in flight: the VS being built and when it was assigned. */
  moves: Map<string, { vs: string; since: number }>;
  /** `${pool vs}/${site}` → since when a leaving pool entry has been out of the site's route (plan-pool.ts); `${pool vs}/`: the pool empty. */
  poolLeaving?: Map<string, number>;
}

export interface PlanOptions {
  now: number;
  /** The least time a retired server stays up after leaving the route (a deleted site's servers: exactly this). */
  drainDelayMs: number;
  engineLostGraceMs: number;
  newVsName?: (site: string) => string;
  /**
   * Plan only these sites (by name; the reconciler's dirty sites) and every site of these
   * customers and of theirs that have pools (pools are shared per customer). Other sites, their servers,
   * routes and timers are left alone, as is what the plan remembers of them: a pass over
   * every site (absent) still runs every few seconds for the timers. The actions equal a
   * full pass's whenever the sites left out have nothing to do.
   */
  only?: { sites: ReadonlySet<string>; customers: ReadonlySet<string> };
}

export interface PlanActions {
  /** Assignments to put: new servers, and pools that are new or whose table changed (plan-pool.ts). */
  create: Assignment[];
  remove: Pick<Assignment, 'engine' | 'vs'>[];
  putRoutes: Route[];
  deleteRoutes: string[];
  /** Sites some of whose servers could not be placed while all were before (no stored record): a farm event each. */
  unplaced?: UnplacedSite[];
  /** Unplaced records to put: new, or their count or reason changed (keys.siteUnplaced). */
  putUnplaced?: UnplacedRecord[];
  /** Sites whose unplaced record goes: all their servers placed, nothing to place, or the site gone. */
  deleteUnplaced?: string[];
}

export interface UnplacedSite {
  site: string;
  customer: string;
  /** How many of its servers wait. */
  count: number;
  /** Why, in words, e.g. `every engine is at its most virtual servers (3/3)` (scheduler.ts unplacedReason). */
  reason: string;
}

export function newMemory(): PlanMemory {
  return { retiringSince: new Map(), engineMissingSince: new Map(), moves: new Map(), poolLeaving: new Map() };
}

export function planReconcile(snap: FarmSnapshot, mem: PlanMemory, opts: PlanOptions): PlanActions {
  const actions: PlanActions = { create: [], remove: [], putRoutes: [], deleteRoutes: [] };
  const live = dropLostEngines(snap, mem, opts, actions);
  const index = siteIndexOf(snap);
  // records sharing a name or key (never made by the API) are planned by a pass over every site
  const scope = index.exact ? planScope(snap, index, live, opts.only) : undefined;
  if (scope) actions.remove = actions.remove.filter((a) => scope.vss.has(a.vs));
  // By storage key, not name: the servers of a deleted site never count as those of a
  // new site of the same name (never routed to, never kept); they retire like any other.
  const bySite = groupBy(live.filter((a) => !a.pool && (!scope || scope.has(a))), assignmentStorageKey);
  const book = poolBook(live.filter((a) => a.pool && (!scope || scope.has(a))));
  const routed = new Map<string, Set<string>>();
  const placedSoFar: Placed[] = appendOnly([...live]);
  const drains = new Map<string, number>();

  for (const stored of scope ? scope.sites : snap.sites) {
    const site = stored.autoscale ? { ...stored, replicas: desiredReplicas(stored, snap.scales?.get(stored.name)) } : stored;
    drains.set(site.name, drainMs(site, opts));
    const servers = bySite.get(siteStorageKey(site)) ?? [];
    if (isPooled(site)) planPooled(site, servers, book, snap, mem, opts, placedSoFar, actions, routed);
    else planSite(site, servers, snap, mem, opts, placedSoFar, actions, poolFallback(site, book, snap.statuses), routed);
  }
  for (const [key, assignments] of bySite) {
    if (!index.byKey.has(key)) retire(assignments, new Set(), opts.drainDelayMs, mem, opts, actions);
  }
  mem.poolLeaving ??= new Map();
  const leavingSince = scope ? scopedLeaving(mem.poolLeaving, book) : mem.poolLeaving;
  const pools = finishPools({ book, routed, drainOf: (s) => drains.get(s), drainDelayMs: opts.drainDelayMs, leavingSince, now: opts.now });
  if (scope) mergeLeaving(mem.poolLeaving, book, leavingSince);
  actions.create.push(...pools.put);
  actions.remove.push(...pools.remove.map((a) => ({ engine: a.engine, vs: a.vs })));
  for (const name of scope ? scope.names : snap.routes.keys()) {
    if (!index.byName.has(name) && snap.routes.has(name)) actions.deleteRoutes.push(name);
  }
  for (const name of scope ? scope.names : snap.unplaced?.keys() ?? []) {
    if (!index.byName.has(name) && snap.unplaced?.has(name)) (actions.deleteUnplaced ??= []).push(name);
  }
  if (!scope) forgetGone(mem, new Set(live.map((a) => a.vs)), index.byKey);
  return actions;
}

/** What a pass over some sites only (`only`) plans: those sites and their customers' other sites, servers and pools. */
interface PlanScope {
  /** The sites to plan, in the snapshot's order. */
  sites: Site[];
  /** Their names, and the names asked for that have no site any more. */
  names: Set<string>;
  /** Every server in scope (also those of lost engines). */
  vss: Set<string>;
  has(a: Assignment): boolean;
}

function planScope(snap: FarmSnapshot, index: SiteIndex, live: Assignment[], only: PlanOptions['only']): PlanScope | undefined {
  if (!only) return undefined;
  // A customer with pools (or pooled sites) is planned whole: its sites share the pools.
  // Looked up per customer and site asked for, never by walking every site: a pass over one
  // changed site costs the same however many sites the farm has.
  const pools = new Map<string, Assignment[]>(); // customer → its pools
  for (const a of live) {
    if (!a.pool) continue;
    const list = pools.get(a.customer);
    if (list) list.push(a);
    else pools.set(a.customer, [a]);
  }
  const pooled = (customer: string): boolean => {
    if (pools.has(customer)) return true;
    for (const name of index.byCustomer.get(customer) ?? []) if (isPooled(index.byName.get(name)!)) return true;
    return false;
  };
  const customers = new Set(only.customers);
  // a pool that shows a site asked for: its customer (a deleted site's entries name no site record)
  for (const [customer, list] of pools) {
    if (!customers.has(customer) && list.some((a) => shows(a, only.sites))) customers.add(customer);
  }
  for (const name of only.sites) {
    const s = index.byName.get(name);
    if (s && !customers.has(s.customer) && pooled(s.customer)) customers.add(s.customer);
  }
  // a deleted site's servers name its customer
  for (const a of live) if (only.sites.has(a.site) && !customers.has(a.customer) && pooled(a.customer)) customers.add(a.customer);
  const chosen = new Map<string, Site>();
  for (const name of only.sites) {
    const s = index.byName.get(name);
    if (s) chosen.set(name, s);
  }
  for (const customer of customers) {
    for (const name of index.byCustomer.get(customer) ?? []) chosen.set(name, index.byName.get(name)!);
  }
  const sites = inStoreOrder([...chosen.values()]);
  const names = new Set([...only.sites, ...chosen.keys()]);
  const has = (a: Pick<Assignment, 'site' | 'customer'>): boolean => names.has(a.site) || customers.has(a.customer);
  return { sites, names, vss: new Set(snap.assignments.filter(has).map((a) => a.vs)), has };
}

/** Whether a pool's table lists any of these sites (the set of a table's sites is made once per table read). */
function shows(pool: Assignment, sites: ReadonlySet<string>): boolean {
  const table = pool.pool?.sites ?? [];
  let listed = poolSites.get(table);
  if (!listed) poolSites.set(table, (listed = new Set(table.map((e) => e.site))));
  if (sites.size <= listed.size) {
    for (const s of sites) if (listed.has(s)) return true;
    return false;
  }
  for (const s of listed) if (sites.has(s)) return true;
  return false;
}
const poolSites = new WeakMap<readonly { site: string }[], Set<string>>();

/** The pools in scope's leaving clocks (keys `${pool vs}/…`), apart, so finishPools' clean-up touches no other pool's. */
function scopedLeaving(all: Map<string, number>, book: PoolBook): Map<string, number> {
  const vss = new Set([...book.pools.values()].map((p) => p.base.vs));
  return new Map([...all].filter(([key]) => vss.has(key.slice(0, key.indexOf('/')))));
}

function mergeLeaving(all: Map<string, number>, book: PoolBook, scoped: Map<string, number>): void {
  const vss = new Set([...book.pools.values()].map((p) => p.base.vs));
  for (const key of [...all.keys()]) if (vss.has(key.slice(0, key.indexOf('/')))) all.delete(key);
  for (const [key, since] of scoped) all.set(key, since);
}

function planSite(
  site: Site,
  assignments: Assignment[],
  snap: FarmSnapshot,
  mem: PlanMemory,
  opts: PlanOptions,
  placedSoFar: Placed[],
  actions: PlanActions,
  poolServing: { pool: Assignment; endpoint: Endpoint }[] = [],
  routed?: Map<string, Set<string>>,
): void {
  const release = site.release ? snap.releases.get(`${site.name}/${site.release}`) : undefined;
  const isReady = (a: Assignment) => snap.statuses.get(a.vs)?.state === 'ready';
  // A database bound, unbound or rotated rolls the site like a release: servers with other
  // credentials are old. So does a new command, environment or health path: servers started
  // with other ones are old (resources and egress wait for the next deploy, as documented).
  const database = siteDatabase(site, snap);
  const needs = { database: database !== undefined, memoryMb: siteMemoryMb(site) };
  // Servers on an engine that may not run the site (draining; for a site with a database, one
  // that cannot reach it) count as old: they are replaced elsewhere, then retired.
  const away = new Set(snap.engines.filter((e) => !takesSite(e, needs)).map((e) => e.id));
  const current = release ? assignments.filter((a) => !away.has(a.engine) && runsAsSiteSays(a, site, database?.user)) : [];
  const old = assignments.filter((a) => !current.includes(a));
  // Servers started as the site says, but on a draining engine: they serve beside their
  // replacements until those are ready. A server of another release or start is not moving:
  // it is replaced (build, swap, then stop), never mixed in with the new ones.
  const moving = old.filter((a) => release !== undefined && runsAsSiteSays(a, site, database?.user));
  const retired = retiredServers(old.filter((a) => !moving.includes(a)), snap.routes.get(site.name), mem);

  // a spread move's new server is kept beside the `replicas` others until it is ready
  const building = buildingMove(siteStorageKey(site), current, mem, opts, isReady);

  // 1. the desired number of servers of the desired release
  let keep = current;
  let unplaced: Unplaced | undefined;
  if (release && current.length < site.replicas) {
    const count = site.replicas - current.length;
    const engines = placeReplicas({ site: site.name, count, engines: snap.engines, assignments: placedSoFar, ...needs });
    for (const engine of engines) {
      const a = newAssignment(site, release, engine, opts, database);
      actions.create.push(a);
      placedSoFar.push(a);
    }
    if (engines.length < count) unplaced = { count: count - engines.length, reason: unplacedReason({ site: site.name, engines: snap.engines, assignments: placedSoFar, ...needs }) };
  } else if (current.length - (building ? 1 : 0) > site.replicas) {
    // scale down (or a spread move's surplus): give up the not-ready ones first, then one
    // on the engine holding most of the site's servers, the newest there
    const surplus = pickSurplus(current.filter((a) => a !== building), site.replicas, isReady);
    keep = current.filter((a) => !surplus.includes(a));
    old.push(...surplus);
  }
  for (const a of keep) mem.retiringSince.delete(a.vs);
  noteUnplaced(site, unplaced, snap, opts, actions);

  // 2. route: the old release until the new one is fully ready
  const readyNew = keep.filter(isReady);
  const readyOther = old.filter((a) => isReady(a) && !moving.includes(a) && !retired(a));
  const rolloutDone = readyNew.length >= Math.min(site.replicas, keep.length) && keep.length >= site.replicas;
  // Until the rollout is done: the previous release if it still serves, else whatever of this
  // release is ready — moving servers (draining engine) go on serving beside their replacements.
  // A retired server never comes back: not when a new server crashes after the switch, not
  // when the next rollout starts while it drains and never gets ready.
  const serving = rolloutDone ? readyNew : readyOther.length > 0 ? readyOther : [...readyNew, ...moving.filter((a) => isReady(a) && !retired(a))];
  // a site no longer pooled: the pools that still show it serve on until its own servers are ready
  const fromPools = rolloutDone ? [] : poolServing;
  const route = siteRoute(site, [...serving.map((a) => toEndpoint(a, snap.statuses.get(a.vs)!)), ...fromPools.map((p) => p.endpoint)], [...serving, ...fromPools.map((p) => p.pool)], opts);
  routed?.set(site.name, new Set(route.endpoints.map((e) => e.vs)));
  if (!sameRoute(route, snap.routes.get(site.name))) actions.putRoutes.push(route);

  // 3. retire old servers once the new ones carry the traffic; those retired already drain
  // on (and go) whether or not the rollout under way ever finishes
  const inRoute = new Set(route.endpoints.map((e) => e.vs));
  if (rolloutDone || !release || site.replicas === 0) retire(old, inRoute, drainMs(site, opts), mem, opts, actions);
  else retire(old.filter(retired), inRoute, drainMs(site, opts), mem, opts, actions);

  // 4. keep the spread: one move at a time, only when the site is steady
  const steady = release !== undefined && site.replicas >= 2 && old.length === 0 && !building &&
    !mem.moves.has(siteStorageKey(site)) && current.length === site.replicas && readyNew.length === current.length;
  if (steady) startSpreadMove(site, release, current, snap, mem, opts, placedSoFar, actions);
}


/** How many of a site's servers this pass could not place, and why. */
type Unplaced = Pick<UnplacedRecord, 'count' | 'reason'>;

/**
 * Keeps the site's unplaced record as this pass found it: put when new or its count or reason
 * changed, deleted once every server is placed. A site that had none (or whose record is a
 * deleted namesake's) is named in `actions.unplaced`: one event per episode.
 */
function noteUnplaced(site: Site, unplaced: Unplaced | undefined, snap: FarmSnapshot, opts: PlanOptions, actions: PlanActions): void {
  const stored = snap.unplaced?.get(site.name);
  if (!unplaced) {
    if (stored) (actions.deleteUnplaced ??= []).push(site.name);
    return;
  }
  const episode = stored !== undefined && stored.siteId === site.id;
  if (episode && stored.count === unplaced.count && stored.reason === unplaced.reason) return;
  const record: UnplacedRecord = { site: site.name, ...(site.id !== undefined ? { siteId: site.id } : {}), ...unplaced, since: episode ? stored.since : isoTime(opts.now) };
  (actions.putUnplaced ??= []).push(record);
  if (!episode) (actions.unplaced ??= []).push({ site: site.name, customer: site.customer, ...unplaced });
}

/**
 * Which old servers are retired, for good: those whose drain clock runs (PlanMemory), and,
 * of the servers replaced by another release or start (`replaced`), every one unlike the
 * newest the stored route serves — that one is of the release (and start) fully rolled out
 * before; the others were drained out by an earlier rollout, or built by one replaced before
 * it was ready. Read from the route, so a new leader (no memory) knows them too. With none of
 * them in the route (never switched, or all crashed), the memory alone says.
 */
function retiredServers(replaced: Assignment[], route: Route | undefined, mem: PlanMemory): (a: Assignment) => boolean {
  const routed = new Set(route?.endpoints.map((e) => e.vs) ?? []);
  let previous: Assignment | undefined;
  for (const a of replaced) {
    if (routed.has(a.vs) && (!previous || byText(previous.createdAt, a.createdAt) < 0)) previous = a;
  }
  const gone = new Set(previous ? replaced.filter((a) => !startedAlike(a, previous)) : []);
  return (a) => mem.retiringSince.has(a.vs) || gone.has(a);
}

/** opts.now as an ISO time, made once per pass rather than once per site. */
let isoAt = Number.NaN;
let isoText = '';
function isoTime(ms: number): string {
  if (ms !== isoAt) {
    isoAt = ms;
    isoText = new Date(ms).toISOString();
  }
  return isoText;
}

/** A site's route over these endpoints (`serving`: their assignments, for per-engine weights). */
function siteRoute(site: Site, endpoints: Endpoint[], serving: Assignment[], opts: PlanOptions): Route {
  const route: Route = {
    site: site.name,
    ...(site.id !== undefined ? { siteId: site.id } : {}),
    domains: [...site.domains].sort(),
    endpoints: [...endpoints].sort((x, y) => byText(x.vs, y.vs)),
    healthPath: checkedPath(site),
    updatedAt: isoTime(opts.now),
  };
  if (site.balance) route.balance = routeBalance(site.balance, serving);
  if (site.limits && Object.keys(site.limits).length > 0) route.limits = site.limits;
  if (site.httpsRedirect === true) route.httpsRedirect = true;
  if (site.retry && Object.keys(site.retry).length > 0) route.retry = site.retry;
  if (site.drainTimeoutMs !== undefined) route.drainTimeoutMs = site.drainTimeoutMs;
  if (site.maintenance?.on === true) route.maintenance = site.maintenance;
  if (site.errorPages && Object.keys(site.errorPages).length > 0) route.errorPages = site.errorPages;
  if (site.hsts) route.hsts = site.hsts;
  if (site.autoscale?.minReplicas === 0 && route.endpoints.length === 0) route.idle = true;
  if (isPooled(site)) route.endpointMaxInFlight = POOL_MAX_IN_FLIGHT;
  // The engine already probes every VS and only ready ones are routed: the router probes
  // too only when the site asks for it (healthCheck set, not off), one probe stream per VS, not one per router process.
  if (site.healthCheck !== undefined && site.healthCheck.off !== true) {
    const { off: _off, ...check } = site.healthCheck;
    route.health = { ...check, path: check.path ?? site.healthPath };
  }
  return route;
}

/**
 * A pooled site (plan-pool.ts): its entries in its customer's pools, its route over the
 * pools that show it; its own servers (it was not pooled before) serve on until the pools
 * serve enough, then retire.
 */
function planPooled(site: Site, servers: Assignment[], book: PoolBook, snap: FarmSnapshot, mem: PlanMemory, opts: PlanOptions, placedSoFar: Placed[], actions: PlanActions, routed: Map<string, Set<string>>): void {
  const release = site.release ? snap.releases.get(`${site.name}/${site.release}`) : undefined;
  const { serving, enough, unplaced } = planPooledSite({
    site, release, book, engines: snap.engines, statuses: snap.statuses, placedSoFar, placeOn: snap.engines,
    newPool: (customer, engine) => poolAssignment(customer, engine, opts.newVsName ? opts.newVsName(`pool-${customer}`) : `pool-${customer}-${randomBytes(3).toString('hex')}`, opts.now),
  });
  noteUnplaced(site, unplaced, snap, opts, actions);
  const ownReady = enough ? [] : servers.filter((a) => snap.statuses.get(a.vs)?.state === 'ready');
  const route = siteRoute(site, [...serving.map((p) => p.endpoint), ...ownReady.map((a) => toEndpoint(a, snap.statuses.get(a.vs)!))], [...serving.map((p) => p.pool), ...ownReady], opts);
  if (!sameRoute(route, snap.routes.get(site.name))) actions.putRoutes.push(route);
  const inRoute = new Set(route.endpoints.map((e) => e.vs));
  routed.set(site.name, inRoute);
  if (servers.length > 0) retire(servers, inRoute, drainMs(site, opts), mem, opts, actions);
}

/** The server a spread move is building, while it is not ready; forgets finished, gone and timed-out moves. */
function buildingMove(key: string, current: Assignment[], mem: PlanMemory, opts: PlanOptions, isReady: (a: Assignment) => boolean): Assignment | undefined {
  const move = mem.moves.get(key);
  if (!move) return undefined;
  const a = current.find((c) => c.vs === move.vs);
  if (!a || isReady(a) || opts.now - move.since >= SPREAD_MOVE_TIMEOUT_MS) {
    mem.moves.delete(key);
    return undefined;
  }
  return a;
}

/** Assign one server on an under-used engine when the site's spread is off (scheduler.ts `spreadMove`). */
function startSpreadMove(site: Site, release: Release, current: Assignment[], snap: FarmSnapshot, mem: PlanMemory, opts: PlanOptions, placedSoFar: Placed[], actions: PlanActions): void {
  const database = siteDatabase(site, snap);
  const move = spreadMove({ site: site.name, engines: snap.engines, replicas: current, assignments: placedSoFar, database: database !== undefined, memoryMb: siteMemoryMb(site) });
  if (!move) return;
  const a = newAssignment(site, release, move.to, opts, database);
  actions.create.push(a);
  placedSoFar.push(a);
  mem.moves.set(siteStorageKey(site), { vs: a.vs, since: opts.now });
}

/** The servers beyond `replicas`: not-ready ones first, then from the engine with most of them, newest first. */
function pickSurplus(servers: Assignment[], replicas: number, isReady: (a: Assignment) => boolean): Assignment[] {
  // keep-preference order: ready first, then oldest (the last is given up first)
  const kept = [...servers].sort((a, b) => Number(isReady(b)) - Number(isReady(a)) || byText(a.createdAt, b.createdAt));
  const surplus: Assignment[] = [];
  while (kept.length > replicas) {
    const perEngine = new Map<string, number>();
    for (const a of kept) perEngine.set(a.engine, (perEngine.get(a.engine) ?? 0) + 1);
    const last = kept[kept.length - 1]!;
    const most = Math.max(...perEngine.values());
    // a not-ready one goes first; else the last-ranked one on a fullest engine
    const i = !isReady(last) ? kept.length - 1 : kept.findLastIndex((a) => perEngine.get(a.engine) === most);
    surplus.push(...kept.splice(i, 1));
  }
  return surplus.reverse();
}

/** How long the site's retired servers stay up after leaving the route. */
export function drainMs(site: Pick<Site, 'drainTimeoutMs'>, opts: Pick<PlanOptions, 'drainDelayMs'>): number {
  return Math.max(opts.drainDelayMs, site.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS);
}

/** Delete assignments that have been out of the route for `waitMs`. */
function retire(assignments: Assignment[], inRoute: Set<string>, waitMs: number, mem: PlanMemory, opts: PlanOptions, actions: PlanActions): void {
  for (const a of assignments) {
    if (inRoute.has(a.vs)) {
      mem.retiringSince.delete(a.vs);
      continue;
    }
    const since = mem.retiringSince.get(a.vs) ?? opts.now;
    mem.retiringSince.set(a.vs, since);
    if (opts.now - since >= waitMs) actions.remove.push({ engine: a.engine, vs: a.vs });
  }
}

/** Assignments on engines that have been gone longer than the grace are dropped (and so replaced). */
function dropLostEngines(snap: FarmSnapshot, mem: PlanMemory, opts: PlanOptions, actions: PlanActions): Assignment[] {
  const registered = new Set(snap.engines.map((e) => e.id));
  for (const id of mem.engineMissingSince.keys()) if (registered.has(id)) mem.engineMissingSince.delete(id);
  return snap.assignments.filter((a) => {
    if (registered.has(a.engine)) return true;
    const since = mem.engineMissingSince.get(a.engine) ?? opts.now;
    mem.engineMissingSince.set(a.engine, since);
    if (opts.now - since < opts.engineLostGraceMs) return true;
    actions.remove.push({ engine: a.engine, vs: a.vs });
    return false;
  });
}

/** The credentials a site's servers get: its database's current login, if the database is the site's customer's. */
function siteDatabase(site: Site, snap: FarmSnapshot): AssignmentDatabase | undefined {
  const db = site.database !== undefined ? snap.databases?.get(site.database) : undefined;
  return db && db.customer === site.customer ? db.login : undefined;
}

function newAssignment(site: Site, release: Release, engine: string, opts: PlanOptions, database?: AssignmentDatabase): Assignment {
  const name = opts.newVsName ? opts.newVsName(site.name) : `${site.name}-${randomBytes(3).toString('hex')}`;
  return {
    vs: name,
    engine,
    site: site.name,
    ...(site.id !== undefined ? { siteId: site.id } : {}),
    customer: site.customer,
    kind: site.kind,
    release: release.id,
    sha256: release.sha256,
    ...(site.command !== undefined ? { command: site.command } : {}),
    healthPath: site.healthPath,
    env: site.env,
    domains: site.domains,
    ...(site.resources && Object.keys(site.resources).length > 0 ? { resources: site.resources } : {}),
    ...(site.egress !== undefined ? { egress: site.egress } : {}),
    ...(site.startTimeoutMs !== undefined ? { startTimeoutMs: site.startTimeoutMs } : {}),
    ...(site.spa === true ? { spa: true } : {}),
    ...(database ? { database } : {}),
    createdAt: new Date(opts.now).toISOString(),
  };
}

function toEndpoint(a: Assignment, s: VsStatus): Endpoint {
  return { vs: a.vs, address: s.address ?? '127.0.0.1', port: s.port ?? 0, release: a.release };
}

/**
 * Alike in everything but when it was built. Compared in place, never serialised: every full
 * pass compares every site's route, and its maintenance and error pages (up to 64 KiB each)
 * are compared as strings.
 */
function sameRoute(a: Route, b: Route | undefined): boolean {
  return b !== undefined && sameJson({ ...a, updatedAt: '' }, { ...b, updatedAt: '' });
}

/** The site's balancing for its route: weights per engine become weights per VS. */
function routeBalance(b: Balance, serving: Assignment[]): Balance {
  if (b.weights === undefined) return b;
  const weights: Record<string, number> = {};
  for (const a of serving) weights[a.vs] = b.weights[a.engine] ?? 1;
  return { ...b, weights };
}

function forgetGone(mem: PlanMemory, liveVs: Set<string>, siteKeys: ReadonlyMap<string, Site>): void {
  for (const vs of mem.retiringSince.keys()) if (!liveVs.has(vs)) mem.retiringSince.delete(vs);
  for (const key of mem.poolLeaving?.keys() ?? []) if (!liveVs.has(key.slice(0, key.indexOf('/')))) mem.poolLeaving?.delete(key);
  for (const key of mem.moves.keys()) if (!siteKeys.has(key)) mem.moves.delete(key);
}

function groupBy<T>(items: T[], key: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}
