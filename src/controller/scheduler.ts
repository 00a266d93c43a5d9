// The scheduler: where a site's new replicas go. Spread across engines first
// (fewest replicas of this site), then by free capacity (fewest virtual servers
// relative to the engine's maximum). Draining and full engines get nothing, nor,
// for a site bound to a database, engines whose guests cannot reach it (`takesSite`).
//
// The spread rule (`spreadMove`): among the engines that hold a replica of the site
// and the eligible ones (registered, `takesSite`, below maxVirtualServers), a site is
// unbalanced when the most replicas on one engine minus the fewest on an eligible
// engine is 2 or more ("all on one engine while another has room" is the case 4−0).
// The move is one replica from a fullest engine to the emptiest eligible one. It
// strictly lowers Σ count² (by 2·(max − min − 1) ≥ 2), so moves always end and
// never oscillate: 3 replicas on 2 engines stay 2/1.
//
// When placeReplicas places fewer than asked, `unplacedReason` says why in one short
// phrase, by the same rule: no engine, every engine draining, none reaching the site's
// database, or every engine that would take the site at its maxVirtualServers.

import type { Assignment, EngineRecord } from '../model/index.ts';

export interface PlacementInput {
  site: string;
  /** How many new replicas to place. */
  count: number;
  engines: EngineRecord[];
  /**
   * Every assignment on the farm (all sites), including ones being placed in this pass.
   * Counted afresh on each call, unless the array was made by `appendOnly`.
   */
  assignments: Pick<Assignment, 'engine' | 'site'>[];
  /** The site is bound to a database: only engines that reach it (EngineRecord.reachesDatabase). */
  database?: boolean;
}

/**
 * Whether an engine may run the site's servers at all (room aside): not draining and, for a
 * site bound to a database, its guests reach the database. A server on an engine that may
 * not is replaced elsewhere, like one on a draining engine (plan.ts).
 */
export function takesSite(e: EngineRecord, site: { database?: boolean }): boolean {
  return !e.draining && (!site.database || e.reachesDatabase === true);
}

/** Engine ids for `count` new replicas, in order; shorter than count when the farm is full. */
export function placeReplicas(input: PlacementInput): string[] {
  const { total, ofSite } = engineCounts(input.assignments, input.site);
  const placed: string[] = [];
  for (let i = 0; i < input.count; i++) {
    const candidates = input.engines.filter(
      (e) => takesSite(e, input) && (total.get(e.id) ?? 0) < e.capacity.maxVirtualServers,
    );
    if (candidates.length === 0) break;
    candidates.sort((a, b) => compareEngines(a, b, total, ofSite));
    const chosen = candidates[0]!.id;
    placed.push(chosen);
    total.set(chosen, (total.get(chosen) ?? 0) + 1);
    ofSite.set(chosen, (ofSite.get(chosen) ?? 0) + 1);
  }
  return placed;
}

/**
 * Why placeReplicas (given the same engines and assignments) could not place every replica, in
 * a few words for the status and the `site.unplaced` event, e.g. `every engine is at its most
 * virtual servers (3/3)`: the counts are the virtual servers on the engines that would take
 * the site, and the most they run.
 */
export function unplacedReason(input: Omit<PlacementInput, 'count'>): string {
  const { engines } = input;
  if (engines.length === 0) return 'no engine is up';
  const taking = engines.filter((e) => takesSite(e, input));
  if (taking.length === 0) {
    if (input.database && !engines.some((e) => e.reachesDatabase === true)) return "no engine reaches the site's database (engines started with --db or --db-forward-port reach it)";
    return input.database ? "every engine that reaches the site's database is draining" : 'every engine is draining';
  }
  const { total } = engineCounts(input.assignments, input.site);
  let used = 0;
  let most = 0;
  for (const e of taking) {
    used += total.get(e.id) ?? 0;
    most += e.capacity.maxVirtualServers;
  }
  const which = input.database ? "every engine that reaches the site's database" : 'every engine';
  return `${which} is at its most virtual servers (${used}/${most})`;
}

export interface SpreadInput {
  site: string;
  engines: EngineRecord[];
  /** The site's servers to spread (its current release, all ready). */
  replicas: Pick<Assignment, 'engine'>[];
  /** Every assignment on the farm (all sites), including ones placed in this pass. */
  assignments: Pick<Assignment, 'engine' | 'site'>[];
  /** The site is bound to a database: only engines that reach it count as eligible. */
  database?: boolean;
}

/** One move that makes the site's spread strictly better, or undefined when it is balanced. */
export function spreadMove(input: SpreadInput): { from: string; to: string } | undefined {
  const ofSite = new Map<string, number>();
  for (const a of input.replicas) ofSite.set(a.engine, (ofSite.get(a.engine) ?? 0) + 1);
  let from: string | undefined;
  for (const [engine, n] of ofSite) {
    const best = from === undefined ? -1 : ofSite.get(from)!;
    if (n > best || (n === best && engine < from!)) from = engine;
  }
  if (from === undefined) return undefined;
  // placeReplicas picks the eligible engine with the fewest of this site, then the most room.
  const [to] = placeReplicas({ site: input.site, count: 1, engines: input.engines, assignments: input.assignments, ...(input.database ? { database: true } : {}) });
  if (to === undefined || ofSite.get(from)! - (ofSite.get(to) ?? 0) < 2) return undefined;
  return { from, to };
}

function compareEngines(
  a: EngineRecord,
  b: EngineRecord,
  total: Map<string, number>,
  ofSite: Map<string, number>,
): number {
  const spread = (ofSite.get(a.id) ?? 0) - (ofSite.get(b.id) ?? 0);
  if (spread !== 0) return spread;
  const loadA = (total.get(a.id) ?? 0) / a.capacity.maxVirtualServers;
  const loadB = (total.get(b.id) ?? 0) / b.capacity.maxVirtualServers;
  if (loadA !== loadB) return loadA - loadB;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * Marks a list of assignments that callers will only ever append to (a plan pass's
 * `placedSoFar`): placeReplicas and spreadMove then keep its counts between calls and
 * count only what was appended, instead of the whole farm on every call.
 */
export function appendOnly<T extends Pick<Assignment, 'engine' | 'site'>>(assignments: T[]): T[] {
  countsOf.set(assignments, fresh());
  return assignments;
}

/** Replicas per engine, in all and per site, of an assignment list. */
interface EngineCounts {
  counted: number;
  last: unknown;
  total: Map<string, number>;
  bySite: Map<string, Map<string, number>>;
}

// A plan pass asks once per steady site (spreadMove): counting the whole farm each time was quadratic.
const countsOf = new WeakMap<readonly unknown[], EngineCounts>();

function fresh(): EngineCounts {
  return { counted: 0, last: undefined, total: new Map(), bySite: new Map() };
}

/** Replicas per engine, in all and of the site: copies of the kept counts of an `appendOnly` list, else counted now. */
function engineCounts(assignments: Pick<Assignment, 'engine' | 'site'>[], site: string): { total: Map<string, number>; ofSite: Map<string, number> } {
  let c = countsOf.get(assignments);
  if (!c) {
    const total = new Map<string, number>();
    const ofSite = new Map<string, number>();
    for (const a of assignments) {
      total.set(a.engine, (total.get(a.engine) ?? 0) + 1);
      if (a.site === site) ofSite.set(a.engine, (ofSite.get(a.engine) ?? 0) + 1);
    }
    return { total, ofSite };
  }
  if (c.counted > assignments.length || (c.counted > 0 && assignments[c.counted - 1] !== c.last)) {
    // not appended to after all: count again
    c = fresh();
    countsOf.set(assignments, c);
  }
  for (; c.counted < assignments.length; c.counted++) {
    const a = assignments[c.counted] as Pick<Assignment, 'engine' | 'site'>;
    c.total.set(a.engine, (c.total.get(a.engine) ?? 0) + 1);
    let bySite = c.bySite.get(a.site);
    if (!bySite) c.bySite.set(a.site, (bySite = new Map()));
    bySite.set(a.engine, (bySite.get(a.engine) ?? 0) + 1);
    c.last = a;
  }
  return { total: new Map(c.total), ofSite: new Map(c.bySite.get(site)) };
}
