// The memory of virtual servers, named once for the engine that sets the limits and the
// scheduler that reserves them (src/controller/memory-room.ts): a VS's limit when its site
// sets none, a pool VS's limit by how many sites it serves, and how much of an engine's
// memory the scheduler may promise (its memory less a reserve for the host, times an
// overcommit ratio). Loads nothing, so the CLI's flags read the defaults from here too.

/** A VS's memory limit when its site sets no `resources.memoryMb` (the namespace runtime's cgroup default). */
export const DEFAULT_VS_MEMORY_MB = 256;

/**
 * A pool VS's memory limit: POOL_BASE_MB + POOL_PER_SITE_MB per site, at most POOL_CAP_MB. An
 * idle pool holds about 13 MiB; under a flood (its router cap's requests at once, files
 * compressed) one reached 59 MiB, and 64 MiB had it OOM-killed with every site of its
 * customer (src/engine/pool-unit.ts applies it, raised or lowered in place).
 */
export const POOL_BASE_MB = 128;
export const POOL_PER_SITE_MB = 1;
export const POOL_CAP_MB = 512;

/**
 * What a pool VS reserves on its engine for placement, MiB: its base limit, whatever its sites
 * (src/controller/memory-room.ts). Its limit's growth with its sites is headroom for a flood on
 * many of them at once, not what it holds: an idle pool holds about 13 MiB however many sites
 * it serves (0.13 MiB a site, bench/density.ts). Reserving the grown limit would have 100
 * customers' pools of 100 sites promise 22 GiB of a 24 GiB engine while they use 1.3 GiB, and
 * leave room for about 30 woken app servers beside them.
 */
export const POOL_RESERVED_MB = POOL_BASE_MB;

/** The memory limit of a pool VS serving this many sites, MiB. */
export function poolMemoryMb(sites: number): number {
  return Math.min(POOL_CAP_MB, POOL_BASE_MB + POOL_PER_SITE_MB * sites);
}

/**
 * How far the scheduler promises an engine's memory beyond what it has (`--memory-overcommit`).
 * What it promises are limits, ceilings a guest may reach, not what guests use (an idle static
 * guest holds tens of MiB of its 256): 1.5 is the ratio OpenStack's scheduler has long shipped
 * (`ram_allocation_ratio`), which hosting operators know; 1 promises no more than there is.
 */
export const DEFAULT_MEMORY_OVERCOMMIT = 1.5;
export const MIN_MEMORY_OVERCOMMIT = 0.1;
export const MAX_MEMORY_OVERCOMMIT = 100;

/** The tiers of defaultReservedMemoryMb: MiB, and the share of them kept. */
const RESERVE_TIERS: readonly (readonly [number, number])[] = [[4096, 0.25], [4096, 0.2], [8192, 0.1], [114_688, 0.06], [Infinity, 0.02]];

/**
 * The memory an engine keeps for the host itself (`--reserved-memory`: the engine OS, the
 * agent, and on `corral up` the controller, router and database), MiB, when the operator sets
 * none: the tiers Kubernetes providers reserve on a node (GKE, AKS) — 25% of the first 4 GiB,
 * 20% of the next 4, 10% of the next 8, 6% of the next 112, 2% of the rest. 256 MiB of 1 GiB,
 * 1 GiB of 4, about 3 GiB of 24, 11.9 GiB of 256: small machines keep most of their memory
 * for guests, large ones a sensible share.
 */
export function defaultReservedMemoryMb(memoryMb: number): number {
  let left = Math.max(0, memoryMb);
  let reserved = 0;
  for (const [size, share] of RESERVE_TIERS) {
    const part = Math.min(left, size);
    reserved += part * share;
    left -= part;
  }
  return Math.round(reserved);
}

/** What an engine records of its memory (EngineRecord.capacity). */
export interface MemoryCapacity {
  memoryMb: number;
  reservedMemoryMb?: number;
  memoryOvercommit?: number;
}

/**
 * The MiB the scheduler may reserve on an engine: (memoryMb − reservedMemoryMb) ×
 * memoryOvercommit, rounded down; undefined for a record with neither (an engine from before
 * memory was a placement rule: placed by its count of virtual servers alone, as it was).
 */
export function memoryAllowanceMb(c: MemoryCapacity): number | undefined {
  if (c.reservedMemoryMb === undefined && c.memoryOvercommit === undefined) return undefined;
  const reserved = c.reservedMemoryMb ?? defaultReservedMemoryMb(c.memoryMb);
  const ratio = c.memoryOvercommit ?? DEFAULT_MEMORY_OVERCOMMIT;
  return Math.max(0, Math.floor((c.memoryMb - reserved) * ratio));
}
