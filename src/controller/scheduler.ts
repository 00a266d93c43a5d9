// The scheduler: where a site's new replicas go. Spread across engines first
// (fewest replicas of this site), then by free memory (most MiB free after the replica),
// then by free capacity (fewest virtual servers relative to the engine's maximum). Draining
// and full engines get nothing, nor, for a site bound to a database, engines whose guests
// cannot reach it (`takesSite`). An engine is full at its maxVirtualServers, or when the
// replica's memory limit does not fit what is left of its memory (memory-room.ts: every VS
// reserves its limit, a pool VS its pool's; the engine offers its memory less a reserve for
// the host, times an overcommit ratio).
//
// Most free memory rather than the fewest servers once the spread is even: servers differ
// in size (a 4 GiB app beside 128 MiB pools), memory is what runs out first, and under
// overcommit the engine with the most left is the least likely to come under real memory
// pressure — the load spread the fewest-servers rule gave when all servers were alike. (Best
// fit would keep bigger holes for big sites, at the price of running some engines hot.)
// Engines of equal free memory (or an older engine's record, which says nothing of it) fall
// back to the count.
//
// The spread rule (`spreadMove`): among the engines that hold a replica of the site
// and the eligible ones (registered, `takesSite`, below maxVirtualServers, with memory
// for one more of its servers), a site is
// unbalanced when the most replicas on one engine minus the fewest on an eligible
// engine is 2 or more ("all on one engine while another has room" is the case 4−0).
// The move is one replica from a fullest engine to the emptiest eligible one. It
// strictly lowers Σ count² (by 2·(max − min − 1) ≥ 2), so moves always end and
// never oscillate: 3 replicas on 2 engines stay 2/1. A move never goes where the replica
// does not fit.
//
// When placeReplicas places fewer than asked, `unplacedReason` says why in one short
// phrase, by the same rule: no engine, every engine draining, none reaching the site's
// database, every engine that would take the site at its maxVirtualServers, or none with
// memory for it (`no engine has 4096 MiB free (most free: 1800 MiB on e2)`; `no engine is
// big enough for …` when none could hold it even empty).

import { DEFAULT_VS_MEMORY_MB, type Assignment, type EngineRecord } from '../model/index.ts';
import { assignmentMemoryMb, engineAllowanceMb, memoryReason } from './memory-room.ts';

/**
 * An assignment as placement counts it: one virtual server of a site on an engine, reserving
 * its memory (memory-room.ts assignmentMemoryMb) unless `reservesMb` says otherwise (0: a
 * mark of where a pooled site already is, counted for its spread alone: plan-pool.ts).
 */
export type Placed = Pick<Assignment, 'engine' | 'site'> & Partial<Pick<Assignment, 'resources' | 'pool'>> & { reservesMb?: number };

/** MiB one new replica reserves, on every engine or per engine (a pooled site: what its customer's pool there grows by). */
export type MemoryNeed = number | ((engine: string) => number);

export interface PlacementInput {
  site: string;
  /** How many new replicas to place. */
  count: number;
  engines: EngineRecord[];
  /**
   * Every assignment on the farm (all sites), including ones being placed in this pass.
   * Counted afresh on each call, unless the array was made by `appendOnly`.
   */
  assignments: Placed[];
  /** The site is bound to a database: only engines that reach it (EngineRecord.reachesDatabase). */
  database?: boolean;
  /** MiB each new replica reserves (memory-room.ts siteMemoryMb); default DEFAULT_VS_MEMORY_MB. */
  memoryMb?: MemoryNeed;
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
  const { total, ofSite, memory } = engineCounts(input.assignments, input.site);
  const need = needOf(input.memoryMb);
  const placed: string[] = [];
  for (let i = 0; i < input.count; i++) {
    const free = new Map<string, number>();
    const candidates = input.engines.filter((e) => {
      if (!takesSite(e, input) || (total.get(e.id) ?? 0) >= e.capacity.maxVirtualServers) return false;
      const allowance = engineAllowanceMb(e);
      if (allowance === undefined) return true;
      const left = allowance - (memory.get(e.id) ?? 0) - need(e.id);
      free.set(e.id, left);
      return left >= 0;
    });
    if (candidates.length === 0) break;
    candidates.sort((a, b) => compareEngines(a, b, total, ofSite, free));
    const chosen = candidates[0]!.id;
    placed.push(chosen);
    total.set(chosen, (total.get(chosen) ?? 0) + 1);
    ofSite.set(chosen, (ofSite.get(chosen) ?? 0) + 1);
    memory.set(chosen, (memory.get(chosen) ?? 0) + need(chosen));
  }
  return placed;
}

/**
 * Why placeReplicas (given the same engines and assignments) could not place every replica, in
 * a few words for the status and the `site.unplaced` event, e.g. `every engine is at its most
 * virtual servers (3/3)`: the counts are the virtual servers on the engines that would take
 * the site, and the most they run; or by memory (memory-room.ts memoryReason), e.g. `no engine
 * has 4096 MiB free (most free: 1800 MiB on e2)`.
 */
export function unplacedReason(input: Omit<PlacementInput, 'count'>): string {
  const { engines } = input;
  if (engines.length === 0) return 'no engine is up';
  const taking = engines.filter((e) => takesSite(e, input));
  if (taking.length === 0) {
    if (input.database && !engines.some((e) => e.reachesDatabase === true)) return "no engine reaches the site's database (engines started with --db or --db-forward-port reach it)";
    return input.database ? "every engine that reaches the site's database is draining" : 'every engine is draining';
  }
  const { total, memory } = engineCounts(input.assignments, input.site);
  const open = taking.filter((e) => (total.get(e.id) ?? 0) < e.capacity.maxVirtualServers);
  const who = input.database ? "no engine that reaches the site's database" : 'no engine';
  const byMemory = memoryReason(who, taking, open, (e) => memory.get(e) ?? 0, needOf(input.memoryMb));
  if (byMemory) return byMemory;
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
  assignments: Placed[];
  /** The site is bound to a database: only engines that reach it count as eligible. */
  database?: boolean;
  /** MiB a server of the site reserves: an engine without that much free is not eligible. */
  memoryMb?: number;
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
  // placeReplicas picks the eligible engine with the fewest of this site, then the most room (memory, then servers).
  const { site, engines, assignments, database, memoryMb } = input;
  const [to] = placeReplicas({ site, count: 1, engines, assignments, ...(database ? { database: true } : {}), ...(memoryMb !== undefined ? { memoryMb } : {}) });
  if (to === undefined || ofSite.get(from)! - (ofSite.get(to) ?? 0) < 2) return undefined;
  return { from, to };
}

function compareEngines(
  a: EngineRecord,
  b: EngineRecord,
  total: Map<string, number>,
  ofSite: Map<string, number>,
  free: Map<string, number>,
): number {
  const spread = (ofSite.get(a.id) ?? 0) - (ofSite.get(b.id) ?? 0);
  if (spread !== 0) return spread;
  const freeA = free.get(a.id);
  const freeB = free.get(b.id);
  if (freeA !== undefined && freeB !== undefined && freeA !== freeB) return freeB - freeA;
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
export function appendOnly<T extends Placed>(assignments: T[]): T[] {
  countsOf.set(assignments, fresh());
  return assignments;
}

/** Replicas per engine, in all and per site, and the MiB they reserve, of an assignment list. */
interface EngineCounts {
  counted: number;
  last: unknown;
  total: Map<string, number>;
  bySite: Map<string, Map<string, number>>;
  memory: Map<string, number>;
}

// A plan pass asks once per steady site (spreadMove): counting the whole farm each time was quadratic.
const countsOf = new WeakMap<readonly unknown[], EngineCounts>();

function fresh(): EngineCounts {
  return { counted: 0, last: undefined, total: new Map(), bySite: new Map(), memory: new Map() };
}

/** Replicas per engine, in all and of the site, and MiB reserved: copies of the kept counts of an `appendOnly` list, else counted now. */
function engineCounts(assignments: Placed[], site: string): { total: Map<string, number>; ofSite: Map<string, number>; memory: Map<string, number> } {
  let c = countsOf.get(assignments);
  if (!c) {
    const total = new Map<string, number>();
    const ofSite = new Map<string, number>();
    const memory = new Map<string, number>();
    for (const a of assignments) {
      total.set(a.engine, (total.get(a.engine) ?? 0) + 1);
      if (a.site === site) ofSite.set(a.engine, (ofSite.get(a.engine) ?? 0) + 1);
      memory.set(a.engine, (memory.get(a.engine) ?? 0) + reserves(a));
    }
    return { total, ofSite, memory };
  }
  if (c.counted > assignments.length || (c.counted > 0 && assignments[c.counted - 1] !== c.last)) {
    // not appended to after all: count again
    c = fresh();
    countsOf.set(assignments, c);
  }
  for (; c.counted < assignments.length; c.counted++) {
    const a = assignments[c.counted] as Placed;
    c.total.set(a.engine, (c.total.get(a.engine) ?? 0) + 1);
    let bySite = c.bySite.get(a.site);
    if (!bySite) c.bySite.set(a.site, (bySite = new Map()));
    bySite.set(a.engine, (bySite.get(a.engine) ?? 0) + 1);
    c.memory.set(a.engine, (c.memory.get(a.engine) ?? 0) + reserves(a));
    c.last = a;
  }
  return { total: new Map(c.total), ofSite: new Map(c.bySite.get(site)), memory: new Map(c.memory) };
}

function reserves(a: Placed): number {
  return a.reservesMb ?? assignmentMemoryMb(a);
}

function needOf(memoryMb: MemoryNeed | undefined): (engine: string) => number {
  if (typeof memoryMb === 'function') return memoryMb;
  const mb = memoryMb ?? DEFAULT_VS_MEMORY_MB;
  return () => mb;
}
