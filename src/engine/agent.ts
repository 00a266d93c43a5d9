// The engine agent: registers this engine under a lease, watches its assignments and
// runs one supervised VS per assignment through the runtime, reporting each VS's state
// under the lease. Order of start(): reap orphans → lease + engine record → watch →
// disk janitor (removes what deleted sites left; disk-janitor.ts).

import { availableParallelism, totalmem } from 'node:os';
import { logger, type Logger } from '../lib/log.ts';
import { assignmentStorageKey, defaultReservedMemoryMb, DEFAULT_MEMORY_OVERCOMMIT, keys, type Assignment, type EngineRecord } from '../model/index.ts';
import type { Store } from '../store/types.ts';
import { watchAssignments, type AssignmentWatch, type Assignments } from './assignment-watch.ts';
import { createDiskJanitor, type InUse } from './disk-janitor.ts';
import { createLeaseKeeper } from './lease-keeper.ts';
import { createEngineLogs, type EngineLogs } from './logs.ts';
import { assertName } from './paths.ts';
import { createReleaseCache, unpackRelease, type Extract, type FetchBlob } from './release-cache.ts';
import { releaseLimitsReader } from './release-limits.ts';
import type { Runtime } from './runtime.ts';
import { createStartGate, defaultMaxStarts } from './start-gate.ts';
import { createStatusWriter } from './status-writer.ts';
import type { SupervisorTiming, VsSnapshot } from './supervisor.ts';
import { createVsUnit, type VsUnit } from './vs-unit.ts';
import { createPoolUnit, samePool, type LinkRelease, type PoolUnit } from './pool-unit.ts';
import { removePools } from './pool-dir.ts';
import { sleep } from './sleep.ts';

export interface EngineAgentOptions {
  store: Store;
  engineId: string;
  /** The engine's directory: releases/, data/, logs/ (the runtime's run/ is its own option). */
  dir: string;
  runtime: Runtime;
  /** Local path of the release's .tar.gz, its sha256 verified. */
  fetchBlob: FetchBlob;
  log?: Logger;
  /** Default 10. */
  leaseTtlSeconds?: number;
  /** Defaults: this machine's cpus and memory, 64 virtual servers, the default reserve for the host and overcommit (src/model vs-memory.ts). */
  capacity?: Partial<EngineRecord['capacity']>;
  /** This engine runs a member of the farm's database cluster: its record says so (EngineRecord.database). */
  databaseMember?: boolean;
  /** Its guests reach the farm's database (the runtime has a database target): its record says so (EngineRecord.reachesDatabase). */
  reachesDatabase?: boolean;
  /** Where controllers reach this engine's API (logs, exec): its record says so (EngineRecord.apiUrl). */
  apiUrl?: string;
  /** Grace of a VS whose assignment was deleted (and of close(), unless closeGraceMs). Default 10 s. */
  stopGraceMs?: number;
  /** Grace of each VS on close(), all stopped at once; default stopGraceMs. `corral up` keeps Ctrl-C short. */
  closeGraceMs?: number;
  timing?: Partial<SupervisorTiming>;
  /** Unpacks a release; default unpackRelease (extractTarball, with the files' digests, within the limits the release was accepted under). */
  extract?: Extract;
  /** Forget the fetched tarball once its release is unpacked (an engine keeping its own copies of blobs). */
  dropBlob?: (sha256: string) => Promise<void>;
  /** How often the disk janitor sweeps besides its triggers; default 10 minutes. */
  sweepIntervalMs?: number;
  /** Most VSs starting at once (spawned, not yet ready); the rest wait as `queued`, FIFO. Default max(2, cores). */
  maxConcurrentStarts?: number;
  /** A pool VS keeps a release copy this long after it left its table (pool-unit.ts); default 10 s. */
  poolDrainMs?: number;
  /** A pool VS keeps a release copy out of its table this long for its site coming back (pool-unit.ts); default 10 min. */
  poolKeepMs?: number;
  /** How a pool VS copies a release into its directory; default pool-dir.ts linkRelease (tests count the calls). */
  poolLink?: LinkRelease;
}

export interface EngineAgent {
  readonly engineId: string;
  readonly logs: EngineLogs;
  /** What the agent runs now, by VS name. */
  snapshot(): Map<string, VsSnapshot>;
  start(): Promise<void>;
  /** Graceful: mark the engine record stopping, stop watching, stop every VS (grace), delete statuses, revoke the lease. Safe twice. */
  close(): Promise<void>;
  /**
   * Act out a `corral drill` fault for durationMs, then come back:
   * - crash: every VS killed at once, the lease left to expire, nothing watched or written
   *   (a power loss); then a fresh boot (new lease, assignments read again).
   * - partition: the store out of reach (no renewals, no status writes, no watch) while
   *   the VSs run on; then the lease is granted again and VSs no longer assigned stop.
   * - kill-vs: the VS's processes killed (SIGKILL), as a crash inside the guest would; the
   *   supervisor restarts it.
   * Resolves when the engine is back. A fault while one runs is ignored (false).
   */
  fault(kind: EngineFault, durationMs: number, vs?: string): Promise<boolean>;
  /** Like a crash: kill every VS at once, write nothing more, leave the lease to expire. Safe twice. */
  destroy(): Promise<void>;
}

export type EngineFault = 'crash' | 'partition' | 'kill-vs';

const DEFAULT_LEASE_TTL_SECONDS = 10;
const DEFAULT_STOP_GRACE_MS = 10_000;

export function buildEngineAgent(opts: EngineAgentOptions): EngineAgent {
  const { store, engineId, runtime } = opts;
  assertName('engine', engineId);
  const log = opts.log ?? logger('engine', { engine: engineId });
  const graceMs = opts.stopGraceMs ?? DEFAULT_STOP_GRACE_MS;
  const releases = createReleaseCache({ dir: opts.dir, fetchBlob: opts.fetchBlob, extract: opts.extract ?? unpackRelease, limitsOf: releaseLimitsReader(store), ...(opts.dropBlob ? { dropBlob: opts.dropBlob } : {}) });
  const startGate = createStartGate(opts.maxConcurrentStarts ?? defaultMaxStarts());
  const units = new Map<string, VsUnit | PoolUnit>();
  const stopping = new Set<VsUnit>();
  let desired: Assignments = new Map();
  let watch: AssignmentWatch | undefined;
  let closing: Promise<void> | undefined;
  let destroying: Promise<void> | undefined;
  let faulted = false;
  const faultEnded = new AbortController();
  const record = {
    ...engineRecord(engineId, runtime, opts.capacity),
    ...(opts.databaseMember ? { database: true as const } : {}),
    ...(opts.reachesDatabase ? { reachesDatabase: true as const } : {}),
    ...(opts.apiUrl !== undefined ? { apiUrl: opts.apiUrl } : {}),
  };
  let stoppingAt: string | undefined; // set by close(): the record says so until its lease is revoked
  const recordValue = () => JSON.stringify(stoppingAt === undefined ? record : { ...record, stoppingAt });

  const lease = createLeaseKeeper({
    store,
    log,
    ttlSeconds: opts.leaseTtlSeconds ?? DEFAULT_LEASE_TTL_SECONDS,
    onLease: async (leaseId) => {
      await store.put(keys.engine(engineId), recordValue(), { lease: leaseId });
      statuses.rewriteAll();
    },
  });
  const statuses = createStatusWriter({ store, engineId, leaseId: () => lease.id, log });
  const trimPools = async (keep: ReadonlySet<string>) => {
    await Promise.all([...units.values()].map((u) => ('trim' in u ? u.trim(keep) : undefined)));
  };
  const janitor = createDiskJanitor({ dir: opts.dir, store, releases, inUse, log, trimPools, ...(opts.sweepIntervalMs !== undefined ? { intervalMs: opts.sweepIntervalMs } : {}) });

  // What this engine's VSs use: every unit (stopping ones too) and every assignment.
  function inUse(): InUse {
    const all = [...desired.values(), ...[...units.values(), ...stopping].map((u) => u.assignment)];
    return {
      siteKeys: new Set(all.map(assignmentStorageKey)),
      vs: new Set(all.map((a) => a.vs)),
      releases: new Set(all.flatMap((a) => [a.sha256, ...(a.pool?.sites.map((e) => e.sha256) ?? [])])),
    };
  }

  // Desired vs running: start what is missing, stop what is no longer assigned, replace what changed.
  // The watch keeps the record of every VS a change left alone (the same object), so a
  // change costs the VSs it touched, not a comparison of every pool's table.
  function reconcile() {
    if (closing || destroying || faulted) return;
    for (const [vs, a] of desired) {
      const unit = units.get(vs);
      if (!unit) startUnit(a);
      else if (unit.assignment === a || stopping.has(unit) || JSON.stringify(unit.assignment) === JSON.stringify(a)) continue;
      else if ('update' in unit && samePool(unit.assignment, a)) unit.update(a);
      else stopUnit(unit, 'vs.assignment_changed', 'assignment changed: stopping the virtual server');
    }
    for (const [vs, unit] of units) if (!desired.has(vs)) stopUnit(unit, 'vs.unassigned', 'unassigned: stopping the virtual server');
  }

  // Watch this engine's assignments; every change (the first read too) reconciles.
  async function watchDesired() {
    watch = await watchAssignments(store, keys.engineAssignments(engineId), (all) => {
      desired = all;
      reconcile();
    }, log);
  }

  function startUnit(assignment: Assignment) {
    const unitOpts = { assignment, engineId, dir: opts.dir, runtime, releases, statuses, log, timing: opts.timing, startGate };
    const unit = assignment.pool ? createPoolUnit({ ...unitOpts, ...(opts.poolDrainMs !== undefined ? { drainMs: opts.poolDrainMs } : {}), ...(opts.poolKeepMs !== undefined ? { keepMs: opts.poolKeepMs } : {}), ...(opts.poolLink ? { link: opts.poolLink } : {}) }) : createVsUnit(unitOpts);
    units.set(assignment.vs, unit);
    log.info({ event: 'vs.assigned', vs: assignment.vs, site: assignment.site, release: assignment.release }, 'virtual server assigned');
    unit.start();
  }

  // Say in the engine's record that this is a graceful stop, so that the record's deletion
  // reads as `engine.stopped` and not as a loss (controller/farm-events.ts). Not in a drill's
  // crash or partition: the store is out of reach, and the record expires as a loss.
  async function markStopping() {
    stoppingAt = new Date().toISOString();
    if (faulted || lease.id === 0) return;
    await store.put(keys.engine(engineId), recordValue(), { lease: lease.id }).catch((err: unknown) => {
      log.warn({ event: 'engine.stop_mark_failed', err }, 'the engine record could not say it is stopping: its deletion will read as a loss');
    });
  }

  function stopUnit(unit: VsUnit, event: string, message: string) {
    if (stopping.has(unit)) return;
    stopping.add(unit);
    log.info({ event, vs: unit.assignment.vs }, message);
    void unit.stop(graceMs).finally(() => {
      stopping.delete(unit);
      if (units.get(unit.assignment.vs) === unit) units.delete(unit.assignment.vs);
      reconcile();
      janitor.kick();
    });
  }

  return {
    engineId,
    logs: createEngineLogs(opts.dir),
    snapshot: () => new Map([...units].map(([vs, u]) => [vs, u.snapshot])),

    async start() {
      const reaped = await runtime.reapOrphans();
      if (reaped > 0) log.warn({ event: 'engine.orphans_reaped', reaped }, 'virtual servers left by an earlier run stopped');
      await lease.start();
      await watchDesired();
      // pool directories of VSs no longer assigned here (an agent that crashed)
      await removePools(opts.dir, new Set(desired.keys())).catch((err: unknown) => log.warn({ event: 'engine.pool_sweep_failed', err }, 'pool directories of unassigned virtual servers could not be removed'));
      await janitor.start();
      log.info({ event: 'engine.started', runtime: runtime.name, maxConcurrentStarts: startGate.limit }, 'engine started');
    },

    async fault(kind, durationMs, vs) {
      if (closing || destroying || faulted) return false;
      if (kind === 'kill-vs') {
        const unit = vs === undefined ? undefined : units.get(vs);
        if (!unit) return false;
        log.warn({ event: 'engine.drill_fault', fault: kind, vs }, 'drill: killing a virtual server');
        await runtime.stop(unit.assignment.vs, 0);
        return true;
      }
      faulted = true;
      log.warn({ event: 'engine.drill_fault', fault: kind, durationMs }, `drill: ${kind === 'crash' ? 'crashing' : 'partitioned from the store'} for ${durationMs} ms`);
      watch?.close();
      watch = undefined;
      lease.pause();
      statuses.pause();
      if (kind === 'crash') {
        const all = [...units.values(), ...stopping];
        units.clear();
        for (const u of all) void statuses.remove(u.assignment.vs);
        await Promise.all(all.map((u) => u.kill()));
      }
      await sleep(durationMs, faultEnded.signal);
      if (closing || destroying) return true;
      faulted = false;
      // back: what is assigned now first (VSs moved away meanwhile stop), then the lease and statuses
      await watchDesired();
      await lease.resume();
      statuses.resume();
      log.warn({ event: 'engine.drill_over', fault: kind }, 'drill: back');
      return true;
    },

    close() {
      faultEnded.abort();
      closing ??= (async () => {
        const marked = markStopping(); // beside the VSs' grace, not before it: a slow store does not hold them up
        watch?.close();
        await janitor.close();
        await Promise.all([...units.values()].map((u) => u.stop(opts.closeGraceMs ?? graceMs, { keepFiles: true })));
        statuses.close();
        await marked;
        await lease.close();
        log.info({ event: 'engine.closed' }, 'engine closed');
      })();
      return closing;
    },

    destroy() {
      faultEnded.abort();
      destroying ??= (async () => {
        watch?.close();
        void janitor.close();
        lease.abandon();
        statuses.close();
        await Promise.all([...units.values()].map((u) => u.kill()));
      })();
      return destroying;
    },
  };
}

function engineRecord(id: string, runtime: Runtime, capacity: Partial<EngineRecord['capacity']> = {}): EngineRecord {
  const memoryMb = capacity.memoryMb ?? Math.floor(totalmem() / 2 ** 20);
  return {
    id,
    runtime: runtime.name,
    capacity: {
      cpus: capacity.cpus ?? availableParallelism(),
      memoryMb,
      maxVirtualServers: capacity.maxVirtualServers ?? 64,
      // always recorded: the scheduler reserves guests' memory limits within them (a record without them is an older engine's)
      reservedMemoryMb: capacity.reservedMemoryMb ?? defaultReservedMemoryMb(memoryMb),
      memoryOvercommit: capacity.memoryOvercommit ?? DEFAULT_MEMORY_OVERCOMMIT,
    },
    startedAt: new Date().toISOString(),
  };
}
