// Pooled static hosting in the plan (pure, like plan.ts). A pooled site (`pooled: true`,
// static) has no VSs of its own: each of its replicas is an entry in the table of its
// customer's pool VS on an engine — one pool per (customer, engine), never shared
// between customers — which serves any number of that customer's sites and changes its
// table without a restart (src/engine/README.md, "Pooled static hosting").
//
//   - Placement: replicas spread over engines as today (placeReplicas); each chosen
//     engine gets the customer's pool there (assigned now if it has none) with the entry.
//     One entry per engine, so at most as many replicas as engines taking work (poolReplicas).
//   - Route: the pool VSs that are ready and whose status shows the site (`sites`), each
//     endpoint with the release that pool shows. A deploy changes the entries' release
//     in place: each pool swaps atomically and the route follows as they report, so
//     every request is answered by the old or the new release, never failed. A pool is
//     routed a site only once it shows it (so a new entry waits for the runtime's load).
//     A site's `spa` is in its entries too: changed in place, for that site alone.
//   - Leaving entries (scale-down, a drained engine, the site deleted or no longer
//     pooled): out of the route first — kept in it only while the wanted ones do not yet
//     serve enough — then dropped from the table once out of every route for the site's
//     drain time (a deleted site's: the farm's drain delay).
//   - A pool without entries is deleted after the drain delay. A pool holds at most
//     MAX_POOL_SITES (5,000) sites, so its record stays well within etcd's 1.5 MiB: a full
//     pool takes no new site (it goes to another engine, or waits unplaced).
//   - Entries that find no engine (none taking work, every one at its maxVirtualServers, without
//     memory for what the pool grows by, or its pool full) are returned as `unplaced`, with the
//     reason (plan.ts keeps the record).
//   - Memory: a pool reserves its base limit (POOL_RESERVED_MB, 128 MiB, whatever its table:
//     memory-room.ts), so an entry costs 128 MiB where its customer has no pool yet, and
//     nothing where it joins one.
// A site switching between pooled and not is served by what serves it until the other
// side is ready (planSite's fallback), as a rollout.

import { createHash } from 'node:crypto';
import { POOL_RESERVED_MB, type Assignment, type Endpoint, type PoolSite, type Release, type Site, type VsStatus } from '../model/index.ts';
import { MAX_POOL_SITES } from '../model/schemas.ts';
import { placeReplicas, unplacedReason, type Placed } from './scheduler.ts';
import { byText } from '../lib/text-order.ts';

export interface PoolState {
  /** The pool's assignment as stored (or as created in this pass). */
  base: Assignment;
  created: boolean;
  /** Its entries, by site name: stored ones, changed by this pass. */
  entries: Map<string, PoolSite>;
  /** Entries a pooled site wants here in this pass; the others are leaving. */
  wanted: Set<string>;
  /** The sites of the stored assignment's table (a pool may hold thousands: looked up, not scanned). */
  stored: Set<string>;
  /** Its table differs from the stored one: an entry added, changed or dropped by this pass (or the stored table out of order). */
  changed: boolean;
}

/** The farm's pools, one per customer and engine. */
export interface PoolBook {
  pools: Map<string, PoolState>;
  /** The same pools by customer (a site looks only at its customer's pools: one per engine). */
  byCustomer: Map<string, PoolState[]>;
  /** Further pools of a customer on an engine (never made by this plan): retired. */
  extras: Assignment[];
}

export function isPooled(site: Pick<Site, 'pooled' | 'kind' | 'domains'>): boolean {
  return site.pooled === true && site.kind === 'static' && site.domains.length > 0;
}

/**
 * How many replicas a pooled site can have: one per engine at most (an engine has one pool
 * of the customer), so at most the engines taking work; never below 1 while there is one.
 */
export function poolReplicas(site: Pick<Site, 'replicas'>, engines: { draining?: boolean }[]): number {
  return Math.min(site.replicas, engines.filter((e) => !e.draining).length);
}

/**
 * Requests one router process sends a pool VS at once (Route.endpointMaxInFlight); more
 * wait at the router. An outside tester's 1,000 requests at once (one HTTP/2 connection, or
 * 1,000 HTTP/1.1 ones) got a pool VS OOM-killed again and again, and every static site of
 * its customer with it; 500 at once (250 per router worker) did not.
 */
export const POOL_MAX_IN_FLIGHT = 128;

/** The storage key of a customer's pools: theirs alone (hashed, since a customer name may end with a dash). */
export function poolSiteId(customer: string): string {
  return `pool-${createHash('sha256').update(customer).digest('hex').slice(0, 12)}`;
}

/**
 * The pools among the live assignments, one per customer and engine. An entry no pooled
 * site of the pool's customer wants in this pass (a stale one too) leaves (finishPools).
 */
export function poolBook(pools: Assignment[]): PoolBook {
  const book: PoolBook = { pools: new Map(), byCustomer: new Map(), extras: [] };
  const sorted = [...pools].sort((a, b) => byText(a.createdAt, b.createdAt) || byText(a.vs, b.vs));
  for (const a of sorted) {
    const key = poolKey(a.customer, a.engine);
    if (book.pools.has(key)) book.extras.push(a);
    else {
      const sites = a.pool?.sites ?? [];
      // a stored table out of order (or with a site twice) is written again, sorted
      const sortedTable = sites.every((e, i) => i === 0 || byText(sites[i - 1]!.site, e.site) < 0);
      addPool(book, key, { base: a, created: false, entries: new Map(sites.map((e) => [e.site, e])), wanted: new Set(), stored: new Set(sites.map((e) => e.site)), changed: !sortedTable });
    }
  }
  return book;
}

function addPool(book: PoolBook, key: string, pool: PoolState): void {
  book.pools.set(key, pool);
  const mine = book.byCustomer.get(pool.base.customer);
  if (mine) mine.push(pool);
  else book.byCustomer.set(pool.base.customer, [pool]);
}

const NO_POOLS: readonly PoolState[] = [];
const customerPools = (book: PoolBook, customer: string): readonly PoolState[] => book.byCustomer.get(customer) ?? NO_POOLS;

/** Two entries of one site alike in every field the table holds. */
function sameEntry(a: PoolSite, b: PoolSite): boolean {
  return a.site === b.site && a.siteId === b.siteId && a.release === b.release && a.sha256 === b.sha256 && a.spa === b.spa &&
    a.domains.length === b.domains.length && a.domains.every((d, i) => d === b.domains[i]);
}

export interface PooledSiteInput {
  site: Site;
  release: Release | undefined;
  book: PoolBook;
  engines: { id: string; draining?: boolean }[];
  statuses: Map<string, VsStatus>;
  /** Every assignment placed so far (VSs, pools included): spread and capacity. */
  placedSoFar: Placed[];
  placeOn: Parameters<typeof placeReplicas>[0]['engines'];
  newPool: (customer: string, engine: string) => Assignment;
}

/**
 * Decide a pooled site's entries; returns the pools serving it now (for its route), whether they
 * are enough, and how many entries found no engine and why (none: all placed).
 */
export function planPooledSite(input: PooledSiteInput): { serving: { pool: Assignment; endpoint: Endpoint }[]; enough: boolean; unplaced?: { count: number; reason: string } } {
  const { release, book, site } = input;
  const replicas = poolReplicas(site, input.engines);
  let unplaced: { count: number; reason: string } | undefined;
  // no engine taking work: the site can have none (poolReplicas), yet it wants some
  if (release && replicas === 0 && site.replicas > 0) unplaced = { count: site.replicas, reason: unplacedReason({ site: site.name, engines: input.placeOn, assignments: input.placedSoFar }) };
  const draining = (engine: string) => input.engines.some((e) => e.draining === true && e.id === engine);
  const mine = customerPools(book, site.customer);
  const hosting = mine.filter((p) => ownEntry(p, site));
  const servingOf = (p: PoolState) => servingEndpoint(p, site, input.statuses);
  if (release) {
    const entry: PoolSite = { site: site.name, ...(site.id !== undefined ? { siteId: site.id } : {}), release: release.id, sha256: release.sha256, domains: [...site.domains].sort(), ...(site.spa === true ? { spa: true } : {}) };
    // keep: on engines not draining, serving ones first, then by engine id
    const candidates = hosting.filter((p) => !draining(p.base.engine)).sort((a, b) => Number(!!servingOf(b)) - Number(!!servingOf(a)) || byText(a.base.engine, b.base.engine));
    const keep = candidates.slice(0, replicas);
    const missing = replicas - keep.length;
    if (missing > 0) {
      // where the site already is counts for its spread, reserving nothing (its pool there does)
      const hostedHere = hosting.map((p) => ({ engine: p.base.engine, site: site.name, reservesMb: 0 }));
      // not where the customer's pool is full (MAX_POOL_SITES: its record must stay within what the store takes)
      const full = (engine: string) => (book.pools.get(poolKey(site.customer, engine))?.entries.size ?? 0) >= MAX_POOL_SITES;
      const open = input.placeOn.filter((e) => !keep.some((p) => p.base.engine === e.id));
      const roomy = open.filter((e) => !full(e.id));
      // memory: a new pool's reserve where the customer has none, nothing where it joins one
      const memoryMb = (engine: string) => (book.pools.has(poolKey(site.customer, engine)) ? 0 : POOL_RESERVED_MB);
      const memory = { memoryMb };
      const engines = placeReplicas({ site: site.name, count: missing, engines: roomy, assignments: [...input.placedSoFar, ...hostedHere], ...memory });
      for (const engine of engines) {
        let pool = book.pools.get(poolKey(site.customer, engine));
        if (!pool) {
          const base = input.newPool(site.customer, engine);
          pool = { base, created: true, entries: new Map(), wanted: new Set(), stored: new Set(), changed: true };
          addPool(book, poolKey(site.customer, engine), pool);
          input.placedSoFar.push(base);
        }
        keep.push(pool);
      }
      if (engines.length < missing) {
        const reason = !roomy.some((e) => !e.draining) && open.some((e) => !e.draining) ? `every engine's pool of customer ${site.customer} holds its most sites (${MAX_POOL_SITES})` : unplacedReason({ site: site.name, engines: roomy, assignments: input.placedSoFar, ...memory });
        unplaced = { count: missing - engines.length, reason };
      }
    }
    for (const p of keep) {
      const had = p.entries.get(site.name);
      if (had === undefined || !sameEntry(had, entry)) {
        p.entries.set(site.name, entry);
        p.changed = true;
      }
      p.wanted.add(site.name);
    }
  }
  const wanted = mine.filter((p) => p.wanted.has(site.name));
  const wantedServing = wanted.map(servingOf).filter((x) => x !== undefined);
  const enough = release !== undefined && wantedServing.length >= replicas;
  // leaving ones serve on while the wanted ones are not enough
  const leavingServing = enough || !release ? [] : hosting.filter((p) => !p.wanted.has(site.name)).map(servingOf).filter((x) => x !== undefined);
  return { serving: [...wantedServing, ...leavingServing].sort((x, y) => byText(x.endpoint.vs, y.endpoint.vs)), enough, ...(unplaced ? { unplaced } : {}) };
}

/** The pools showing a site that is not pooled (any more): its route's fallback while its own VSs start. */
export function poolFallback(site: Site, book: PoolBook, statuses: Map<string, VsStatus>): { pool: Assignment; endpoint: Endpoint }[] {
  return customerPools(book, site.customer)
    .filter((p) => ownEntry(p, site))
    .map((p) => servingEndpoint(p, site, statuses))
    .filter((x) => x !== undefined);
}

export interface PoolFinish {
  book: PoolBook;
  /** Site name → VSs in its route after this pass. */
  routed: Map<string, Set<string>>;
  /** Site name → how long a leaving entry stays after leaving the route (absent: the site is gone). */
  drainOf: (site: string) => number | undefined;
  drainDelayMs: number;
  /** `${pool vs}/${site}` → since when the entry has been out of the route while leaving. */
  leavingSince: Map<string, number>;
  now: number;
}

/** Pool assignments to put (new, or their table changed) and pools to delete (empty for the drain delay). */
export function finishPools(f: PoolFinish): { put: Assignment[]; remove: Assignment[] } {
  const put: Assignment[] = [];
  const remove: Assignment[] = [...f.book.extras];
  const live = new Set<string>();
  for (const p of f.book.pools.values()) {
    for (const site of [...p.entries.keys()]) {
      if (p.wanted.has(site)) continue;
      const key = `${p.base.vs}/${site}`;
      live.add(key);
      if (f.routed.get(site)?.has(p.base.vs)) {
        f.leavingSince.delete(key);
        continue;
      }
      const since = f.leavingSince.get(key) ?? f.now;
      f.leavingSince.set(key, since);
      if (f.now - since >= (f.drainOf(site) ?? f.drainDelayMs)) {
        p.entries.delete(site);
        p.changed = true;
        f.leavingSince.delete(key);
      }
    }
    // the table is written only when this pass changed it (a pass over 10,000 pooled sites
    // used to serialise every table twice to find out)
    if (p.entries.size === 0 && !p.created) {
      const key = `${p.base.vs}/`;
      live.add(key);
      const since = f.leavingSince.get(key) ?? f.now;
      f.leavingSince.set(key, since);
      if (f.now - since >= f.drainDelayMs) remove.push(p.base);
      if ((p.base.pool?.sites.length ?? 0) > 0) put.push({ ...p.base, pool: { sites: [] } });
      continue;
    }
    f.leavingSince.delete(`${p.base.vs}/`);
    if (p.created || p.changed) put.push({ ...p.base, pool: { sites: [...p.entries.values()].sort((a, b) => byText(a.site, b.site)) } });
  }
  for (const key of f.leavingSince.keys()) if (!live.has(key)) f.leavingSince.delete(key);
  return { put, remove: remove.filter((a) => !put.some((p) => p.vs === a.vs)) };
}

/** A new pool assignment of a customer on an engine. */
export function poolAssignment(customer: string, engine: string, vs: string, now: number): Assignment {
  return {
    vs, engine, site: 'pool', siteId: poolSiteId(customer), customer, kind: 'static', release: 'pool', sha256: '0'.repeat(64),
    healthPath: '/', env: {}, domains: [], createdAt: new Date(now).toISOString(), pool: { sites: [] },
  };
}

function poolKey(customer: string, engine: string): string {
  return `${customer}\u0000${engine}`;
}

/** The pool holds an entry of this very site (its id, when both have one). */
function ownEntry(p: PoolState, site: Site): boolean {
  const e = p.entries.get(site.name);
  return e !== undefined && (e.siteId === undefined || site.id === undefined || e.siteId === site.id);
}

/**
 * The pool's endpoint for the site while it is ready and its runtime shows the site. Only a
 * pool whose stored assignment holds the site: one that does not (the entry left, e.g. the
 * site scaled to zero, and this pass puts it back) may still show it from before its engine
 * took the removal, and may be loading the table without it (its engine then reports the
 * site again only once its runtime confirms a table with it, src/engine/pool-shown.ts).
 */
function servingEndpoint(p: PoolState, site: Site, statuses: Map<string, VsStatus>): { pool: Assignment; endpoint: Endpoint } | undefined {
  const s = statuses.get(p.base.vs);
  const shown = s?.sites?.[site.name];
  if (!s || s.state !== 'ready' || shown === undefined || s.address === undefined || s.port === undefined || !ownEntry(p, site)) return undefined;
  if (!p.stored.has(site.name)) return undefined;
  return { pool: p.base, endpoint: { vs: p.base.vs, address: s.address, port: s.port, release: shown } };
}
