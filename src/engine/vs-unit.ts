// One assignment on this engine, from first status to deleted status: fetch and unpack
// its release (retried with backoff; state `queued` meanwhile), then supervise its VS
// (which waits for one of the engine's start slots), mirroring every state
// change into the store; stop() stops the VS gracefully and deletes its status.

import type { Logger } from '../lib/log.ts';
import { assignmentStorageKey, type Assignment, type SiteResources } from '../model/index.ts';
import { backoffDelay } from './backoff.ts';
import { writeVsLogMeta } from './logs.ts';
import { assertName, dataPath, logPath } from './paths.ts';
import type { ReleaseCache } from './release-cache.ts';
import type { Runtime, VsLimitsSpec, VsSpec } from './runtime.ts';
import { sleep } from './sleep.ts';
import type { StartGate } from './start-gate.ts';
import type { StatusWriter } from './status-writer.ts';
import { createVsSampler, vsStatus } from './vs-sampler.ts';
import { createSupervisor, DEFAULT_TIMING, type Supervisor, type SupervisorTiming, type VsSnapshot } from './supervisor.ts';


export interface VsUnit {
  readonly assignment: Assignment;
  readonly snapshot: VsSnapshot;
  start(): void;
  /**
   * Stop the VS (SIGTERM, graceMs, SIGKILL) and delete its status. Safe to call twice.
   * keepFiles: the engine is stopping, not the assignment going: what the VS's next start
   * would make again stays on disk (a pool's linked releases); the engine's next start
   * removes the pools no assignment names any more (agent.ts removePools).
   */
  stop(graceMs: number, opts?: { keepFiles?: boolean }): Promise<void>;
  /** Stop without writing anything more to the store (engine destroy). */
  kill(): Promise<void>;
}

export interface VsUnitOptions {
  assignment: Assignment;
  engineId: string;
  dir: string;
  runtime: Runtime;
  releases: ReleaseCache;
  statuses: StatusWriter;
  log: Logger;
  timing?: Partial<SupervisorTiming>;
  /** The engine's start slots (supervisor.ts); default: start at once. */
  startGate?: StartGate;
}

export function createVsUnit(opts: VsUnitOptions): VsUnit {
  const a = opts.assignment;
  const timing = { ...DEFAULT_TIMING, ...opts.timing };
  const log = opts.log;
  const cancel = new AbortController();
  // Not started yet: its release is fetched, then it waits for a start slot.
  let snapshot: VsSnapshot = { vs: a.vs, state: 'queued', restarts: 0 };
  let supervisor: Supervisor | undefined;
  let preparing: Promise<void> | undefined;
  let stopping: Promise<void> | undefined;
  let silent = false;

  function report(s: VsSnapshot) {
    snapshot = s;
    if (silent) return;
    opts.statuses.set(vsStatus(a, opts.engineId, s, sampler.current));
  }

  // Runtime, limits and usage of the running VS (namespace runtime), refreshed while it runs.
  const sampler = createVsSampler(opts.runtime, a.vs, () => report(snapshot));

  // The release directory, retrying a failed fetch or unpack with backoff until stopped.
  async function release(): Promise<string | undefined> {
    for (let attempt = 0; !cancel.signal.aborted; attempt++) {
      try {
        return await untilAborted(opts.releases.ensure(a.sha256, { site: a.site, release: a.release }), cancel.signal);
      } catch (err) {
        const delayMs = backoffDelay(attempt, { baseMs: timing.backoffBaseMs, maxMs: timing.backoffMaxMs });
        log.error({ event: 'vs.release_failed', err, vs: a.vs, sha256: a.sha256, delayMs }, 'release could not be fetched or unpacked; retrying');
        report({ ...snapshot, state: 'backoff' });
        await sleep(delayMs, cancel.signal);
      }
    }
    return undefined;
  }

  async function prepare() {
    if (namesRefused(a, log)) {
      report({ ...snapshot, state: 'crashed' });
      return;
    }
    report(snapshot);
    const releaseDir = await release();
    if (releaseDir === undefined || cancel.signal.aborted) return;
    await writeVsLogMeta(opts.dir, { vs: a.vs, site: a.site, ...(a.siteId !== undefined ? { siteId: a.siteId } : {}), customer: a.customer, release: a.release }).catch((err: unknown) =>
      log.warn({ event: 'vs.log_meta_failed', err, vs: a.vs }, "virtual server's log metadata could not be written"),
    );
    if (cancel.signal.aborted) return;
    const onState = (st: VsSnapshot) => {
      report(st);
      // Limits show from the start (a guest that never gets ready, e.g. OOM-killed, still shows them).
      if (st.state === 'ready' || (st.state === 'starting' && !sampler.current?.limits)) void sampler.sample();
    };
    // the site's own start deadline (a slow-booting app) over the engine's
    const siteTiming = a.startTimeoutMs !== undefined ? { ...opts.timing, startupTimeoutMs: a.startTimeoutMs } : opts.timing;
    supervisor = createSupervisor({ runtime: opts.runtime, spec: toSpec(opts.dir, a, releaseDir), onState, log, timing: siteTiming, ...(opts.startGate ? { startGate: opts.startGate } : {}) });
    supervisor.start();
  }

  function halt(graceMs: number): Promise<void> {
    stopping ??= (async () => {
      cancel.abort();
      sampler.stop();
      if (!supervisor) report({ ...snapshot, state: 'stopping' });
      await preparing;
      await supervisor?.stop(graceMs);
      if (!silent) await opts.statuses.remove(a.vs);
    })();
    return stopping;
  }

  return {
    assignment: a,
    get snapshot() {
      return snapshot;
    },
    start() {
      preparing ??= prepare().catch((err: unknown) => log.error({ event: 'vs.prepare_failed', err, vs: a.vs }, 'virtual server could not be prepared'));
    },
    stop: halt,
    kill() {
      silent = true;
      return halt(0);
    },
  };
}

/** The runtime's view of an assignment. */
export function toSpec(dir: string, a: Assignment, releaseDir: string): VsSpec {
  return {
    name: a.vs,
    site: a.site,
    customer: a.customer,
    kind: a.kind,
    releaseDir,
    dataDir: dataPath(dir, assignmentStorageKey(a)),
    logFile: logPath(dir, a.vs),
    ...(a.command !== undefined ? { command: a.command } : {}),
    domains: a.domains ?? [],
    ...(a.spa === true ? { spa: true } : {}),
    healthPath: a.healthPath || '/',
    env: { ...a.env, CORRAL_RELEASE: a.release },
    ...(a.resources ? { limits: specLimits(a.resources) } : {}),
    ...(a.egress !== undefined ? { egress: a.egress } : {}),
    ...(a.database ? { database: a.database } : {}),
  };
}

const MIB = 2 ** 20;

/** A site's resources (MiB, cores) as runtime limits (bytes, CPUs); absent fields stay absent. */
export function specLimits(r: SiteResources): Partial<VsLimitsSpec> {
  const l: Partial<VsLimitsSpec> = {};
  if (r.memoryMb !== undefined) l.memoryBytes = r.memoryMb * MIB;
  if (r.cpu !== undefined) l.cpuQuota = r.cpu;
  if (r.pids !== undefined) l.pidsMax = r.pids;
  if (r.tmpMb !== undefined) l.tmpBytes = r.tmpMb * MIB;
  if (r.diskMb !== undefined) l.diskBytes = r.diskMb * MIB;
  return l;
}

/** p's value, or undefined as soon as signal aborts (p keeps running; its result is dropped). */
function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  if (signal.aborted) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve(undefined);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** An assignment whose VS, site or site id is not a safe name (paths are made of them) is refused and logged: true. */
export function namesRefused(a: Pick<Assignment, 'vs' | 'site' | 'siteId'>, log: VsUnitOptions['log']): boolean {
  try {
    assertName('virtual server', a.vs);
    assertName('site', a.site);
    if (a.siteId !== undefined) assertName('site id', a.siteId);
    return false;
  } catch (err) {
    log.error({ event: 'vs.assignment_refused', err, vs: a.vs }, 'assignment refused');
    return true;
  }
}
