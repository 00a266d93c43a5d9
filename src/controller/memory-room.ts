// Memory as a placement rule (scheduler.ts). Every VS reserves its memory limit on its
// engine: its site's `resources.memoryMb`, else the limit the engine gives a guest without one
// (DEFAULT_VS_MEMORY_MB); a pool VS (plan-pool.ts) its base limit, 128 MiB, however many sites
// it serves (POOL_RESERVED_MB: its limit grows by 1 MiB a site, up to 512, as headroom for a
// flood, while an idle pool holds about 13 MiB), so a customer's 5,000 static sites on an
// engine reserve 128 MiB there, and a site joining its customer's pool reserves nothing more.
// An engine takes a new VS only while the reservations fit what it offers (memoryAllowanceMb:
// its memory less the reserve for the host, times the overcommit); an engine whose record says
// neither (an older engine) is not checked. Limits are what is reserved, not use: a guest may
// never take more than its limit, so an engine within its allowance (overcommit 1) cannot run
// out of memory for its dedicated guests; pools may pass their reserve by their headroom.

import { DEFAULT_VS_MEMORY_MB, memoryAllowanceMb, POOL_RESERVED_MB, type Assignment, type EngineRecord, type Site } from '../model/index.ts';

/** MiB one server of the site reserves: its memory limit. */
export function siteMemoryMb(site: Pick<Site, 'resources'>): number {
  return site.resources?.memoryMb ?? DEFAULT_VS_MEMORY_MB;
}

/** MiB an assignment reserves on its engine: a pool its base limit (POOL_RESERVED_MB), else the limit it was started with. */
export function assignmentMemoryMb(a: Pick<Assignment, 'resources' | 'pool'>): number {
  return a.pool ? POOL_RESERVED_MB : a.resources?.memoryMb ?? DEFAULT_VS_MEMORY_MB;
}

/** MiB the scheduler may reserve on the engine; undefined: memory is not checked there. */
export function engineAllowanceMb(e: EngineRecord): number | undefined {
  return memoryAllowanceMb(e.capacity);
}

/**
 * Why no engine had room for a server's memory, e.g. `no engine has 4096 MiB free (most free:
 * 1800 MiB on e2)`, or `no engine is big enough for 65536 MiB (the largest, e1, takes 31468
 * MiB)` when no engine could hold it even empty. `engines`: those that would take the site;
 * `open`: those of them below their most virtual servers; `used`: MiB reserved on each;
 * `need`: MiB the server would reserve there. Undefined when some engine has room after all.
 */
export function memoryReason(who: string, engines: EngineRecord[], open: EngineRecord[], used: (e: string) => number, need: (e: string) => number): string | undefined {
  let largest: { e: EngineRecord; allowance: number } | undefined;
  for (const e of engines) {
    const allowance = engineAllowanceMb(e);
    if (allowance === undefined || allowance >= need(e.id)) return open.length > 0 ? roomReason(who, open, used, need) : undefined;
    if (!largest || allowance > largest.allowance) largest = { e, allowance };
  }
  if (!largest) return undefined;
  return `${who} is big enough for ${need(largest.e.id)} MiB (the largest, ${largest.e.id}, takes ${largest.allowance} MiB)`;
}

function roomReason(who: string, open: EngineRecord[], used: (e: string) => number, need: (e: string) => number): string | undefined {
  let best: { e: EngineRecord; free: number } | undefined;
  for (const e of open) {
    const allowance = engineAllowanceMb(e);
    if (allowance === undefined) return undefined;
    const free = allowance - used(e.id);
    if (free >= need(e.id)) return undefined;
    if (!best || free - need(e.id) > best.free - need(best.e.id)) best = { e, free };
  }
  if (!best) return undefined;
  return `${who} has ${need(best.e.id)} MiB free (most free: ${Math.max(0, best.free)} MiB on ${best.e.id})`;
}
