// Supervises one VS: starts it through the runtime, health-checks it, restarts it with
// exponential backoff when it exits unexpectedly, and stops it gracefully on request.
// Every state change is reported through onState:
//   [queued →] starting → ready ⇄ unhealthy;  exit → crashed → backoff → [queued →] starting …;
//   stop() → stopping → stopped.
// With a start gate, each start (restarts too) first takes a slot, waiting as `queued`;
// the slot is held from spawn until ready, failed or past the startup deadline, which
// counts from when the slot was taken.

import { logger, type Logger } from '../lib/log.ts';
import type { VsState } from '../model/index.ts';
import { backoffDelay } from './backoff.ts';
import { healthTarget, httpHealthCheck, type HealthCheck } from './health-check.ts';
import type { ExitInfo, RunningVs, Runtime, VsSpec } from './runtime.ts';
import { sleep, sleepToTick } from './sleep.ts';
import type { ReleaseSlot, StartGate, StartKind } from './start-gate.ts';

export interface SupervisorTiming {
  /** While starting, a check every 10 ms for this long (a guest is ready the moment it listens), then 20, 40 … up to startupPollMs. */
  startupFastMs: number;
  /** Health-check interval while starting, after startupFastMs. */
  startupPollMs: number;
  /** A VS not healthy this long after its start (leaving the start queue) is killed and restarted. */
  startupTimeoutMs: number;
  /**
   * Health-check interval once ready (until steady: steadyPollMs). Default 10 s (Kubernetes'
   * default period): `unhealthyAfter` failures in a row, each waiting out checkTimeoutMs, mark a
   * VS that hangs unhealthy in ≈ 36 s. A crash is seen at once (its exit), and the
   * router ejects an endpoint whose requests fail at once; this is for a guest that hangs. A
   * check costs the engine ≈ 0.2 ms (most of it the write that wakes the guest), so the checks
   * are what an idle engine spends: 100 VSs every 5 s were a third of an idle farm's CPU at
   * 10,000 sites, and 1,000 app VSs every 5 s would take 5 % of a core.
   */
  pollMs: number;
  /**
   * The interval once a ready VS has passed `steadyAfter` checks in a row; default 3 ×
   * pollMs (30 s). A failed check goes back to pollMs at once, so a VS that hangs is marked
   * unhealthy within steadyPollMs + (unhealthyAfter − 1) × pollMs + unhealthyAfter ×
   * checkTimeoutMs, on the engine's 1 s tick: ≈ 56 s by default (≈ 36 s before it is steady). Envoy checks the hosts of a cluster without traffic every 60 s
   * (`no_traffic_interval`) for the same reason: at rest the checks are nearly all the
   * engine does (a CPU profile of an idle 10,000-site farm: 60–75 % of its main process).
   */
  steadyPollMs?: number;
  /** Consecutive passed checks of a ready VS before its checks space out to steadyPollMs. */
  steadyAfter: number;
  /** Timeout of one health check. */
  checkTimeoutMs: number;
  /** Consecutive failed checks before a ready VS is reported unhealthy. */
  unhealthyAfter: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** A VS that stayed ready this long restarts with the base delay again. */
  backoffResetMs: number;
  /** Grace given to a VS killed for missing its startup deadline. */
  killGraceMs: number;
}

/** Steady checks wait for the next whole second after their interval (sleep.ts sleepToTick): the engine wakes once a second for all of its VSs' checks due then. */
export const PROBE_TICK_MS = 1_000;

export const DEFAULT_TIMING: SupervisorTiming = {
  startupFastMs: 1_000,
  startupPollMs: 100,
  startupTimeoutMs: 30_000,
  pollMs: 10_000,
  steadyAfter: 6,
  checkTimeoutMs: 2_000,
  unhealthyAfter: 3,
  backoffBaseMs: 100,
  backoffMaxMs: 10_000,
  backoffResetMs: 10_000,
  killGraceMs: 5_000,
};

/** What the supervisor knows about its VS; a copy is passed to onState on every change. */
export interface VsSnapshot {
  vs: string;
  state: VsState;
  address?: string;
  port?: number;
  pid?: number;
  restarts: number;
  lastExit?: { code: number | null; signal: string | null; at: string; oom: boolean; startupTimeoutMs?: number };
  /** In state backoff: how long until the next start. */
  backoffMs?: number;
}

export interface SupervisorOptions {
  runtime: Runtime;
  spec: VsSpec;
  onState: (snapshot: VsSnapshot) => void;
  log?: Logger;
  timing?: Partial<SupervisorTiming>;
  healthCheck?: HealthCheck;
  /** Milliseconds clock for the backoff reset (tests move it). Default Date.now. */
  now?: () => number;
  /** The engine's start slots, shared by its VSs; default: start at once. */
  startGate?: StartGate;
}

export interface Supervisor {
  readonly snapshot: VsSnapshot;
  /** Begin supervising (returns at once). */
  start(): void;
  /** stopping → runtime.stop(graceMs) → stopped. Safe to call twice; the first grace wins. */
  stop(graceMs: number): Promise<void>;
}

export function createSupervisor(opts: SupervisorOptions): Supervisor {
  const { runtime, spec } = opts;
  const timing = { ...DEFAULT_TIMING, ...opts.timing };
  const check = opts.healthCheck ?? httpHealthCheck;
  const now = opts.now ?? Date.now;
  const log = opts.log ?? logger('engine', { vs: spec.name });
  const stopSignal = new AbortController();
  let snapshot: VsSnapshot = { vs: spec.name, state: 'starting', restarts: 0 };
  let graceMs = 0;
  let loop: Promise<void> | undefined;
  let stopping: Promise<void> | undefined;

  function emit(patch: Partial<VsSnapshot>) {
    snapshot = { ...snapshot, backoffMs: undefined, ...patch };
    opts.onState({ ...snapshot });
  }

  // Run the VS until it exits or a stop is requested; returns its exit and when it became ready.
  async function watch(vs: RunningVs, startedAt: number, slot: ReleaseSlot): Promise<{ exit: ExitInfo; readySince?: number; timedOut?: true }> {
    const probeStop = new AbortController();
    const state: { readySince?: number; timedOut?: boolean } = {};
    const probing = probe(vs, probeStop.signal, state, startedAt, slot).catch((err: unknown) => log.error({ event: 'vs.probe_failed', err, vs: spec.name }, 'health probing failed'));
    let onStop = () => {};
    const stopped = new Promise<'stop'>((r) => (onStop = () => r('stop')));
    stopSignal.signal.addEventListener('abort', onStop, { once: true });
    const first = stopSignal.signal.aborted ? 'stop' : await Promise.race([vs.exited, stopped]);
    stopSignal.signal.removeEventListener('abort', onStop);
    probeStop.abort();
    if (first === 'stop') await runtime.stop(spec.name, graceMs);
    slot();
    const exit = await vs.exited;
    await probing;
    return { exit, readySince: state.readySince, ...(state.timedOut ? { timedOut: true } : {}) };
  }

  // Health checks: fast until ready (or the startup deadline), then at the steady interval.
  // While starting, checks come every 10 ms for startupFastMs (a check before the guest listens
  // is a refused connection: cheap), then 20, 40 ms …, up to startupPollMs: a VS (a replacement
  // for a lost replica, a wake from zero) is ready within 10 ms of answering.
  async function probe(vs: RunningVs, signal: AbortSignal, state: { readySince?: number; timedOut?: boolean }, startedAt: number, slot: ReleaseSlot) {
    const target = healthTarget(spec, vs.address, vs.port);
    const deadline = startedAt + timing.startupTimeoutMs;
    let failures = 0;
    let passes = 0; // in a row, once ready
    const steadyPollMs = timing.steadyPollMs ?? 3 * timing.pollMs;
    let startupChecks = 0;
    const fastUntil = Date.now() + timing.startupFastMs;
    while (!signal.aborted) {
      const ok = await check(target, timing.checkTimeoutMs).catch((err: unknown) => {
        log.warn({ event: 'vs.health_check_failed', err, vs: spec.name }, 'health check failed');
        return false;
      });
      if (signal.aborted) return;
      if (state.readySince === undefined) {
        if (ok) {
          state.readySince = now();
          slot();
          log.info({ event: 'vs.ready', vs: spec.name, address: vs.address, port: vs.port }, 'virtual server ready');
          emit({ state: 'ready' });
        } else if (Date.now() >= deadline) {
          log.warn({ event: 'vs.startup_timeout', vs: spec.name, timeoutMs: timing.startupTimeoutMs }, 'virtual server not ready within its startup timeout');
          state.timedOut = true; // its exit says why it was stopped (lastExit.startupTimeoutMs)
          slot();
          await runtime.stop(spec.name, timing.killGraceMs);
          return;
        }
      } else if (ok) {
        failures = 0;
        passes++;
        if (snapshot.state === 'unhealthy') {
          log.info({ event: 'vs.recovered', vs: spec.name }, 'virtual server healthy again');
          emit({ state: 'ready' });
        }
      } else {
        passes = 0;
        if (++failures === timing.unhealthyAfter) {
          log.warn({ event: 'vs.unhealthy', vs: spec.name, failures }, 'virtual server unhealthy');
          emit({ state: 'unhealthy' });
        }
      }
      const starting = Date.now() < fastUntil ? 10 : Math.min(timing.startupPollMs, 10 * 2 ** startupChecks++);
      if (state.readySince === undefined) await sleep(starting, signal);
      else {
        // the engine's checks share a tick; this check ran just after one, so aiming at
        // pollMs − tick from now lands on the tick pollMs after the last (not one later)
        const every = passes >= timing.steadyAfter ? steadyPollMs : timing.pollMs;
        const tick = Math.min(PROBE_TICK_MS, timing.pollMs);
        await sleepToTick(Math.max(every - tick, 1), tick, signal);
      }
    }
  }

  // A start slot: at once, or after waiting as `queued`; undefined when stopped while queued.
  async function takeSlot(kind: StartKind): Promise<ReleaseSlot | undefined> {
    const gate = opts.startGate;
    if (!gate) return () => {};
    const now = gate.tryAcquire(spec.customer, kind);
    if (now) return now;
    log.info({ event: 'vs.queued', vs: spec.name, waiting: gate.waiting + 1, limit: gate.limit }, 'virtual server queued: the engine starts enough at once');
    emit({ state: 'queued' });
    const slot = await gate.acquire(stopSignal.signal, spec.customer, kind); // fairly between customers (start-gate.ts)
    if (slot && !stopSignal.signal.aborted) emit({ state: 'starting' });
    return slot;
  }

  async function run() {
    let attempt = 0;
    let kind: StartKind = 'first'; // 'retry' once a start never became ready: it stays off the gate's last slot
    while (!stopSignal.signal.aborted) {
      const slot = await takeSlot(kind);
      kind = 'retry';
      if (!slot) return;
      if (stopSignal.signal.aborted) return slot();
      const startedAt = Date.now();
      let vs: RunningVs | undefined;
      try {
        vs = await runtime.start(spec);
      } catch (err) {
        slot();
        log.error({ event: 'vs.start_failed', err, vs: spec.name }, 'virtual server could not be started');
      }
      if (vs) {
        log.info({ event: 'vs.starting', vs: spec.name, pid: vs.pid, address: vs.address, port: vs.port }, 'virtual server starting');
        emit({ state: 'starting', address: vs.address, port: vs.port, pid: vs.pid });
        const { exit, readySince, timedOut } = await watch(vs, startedAt, slot);
        const lastExit = { code: exit.code, signal: exit.signal, at: new Date().toISOString(), oom: exit.oom, ...(timedOut ? { startupTimeoutMs: timing.startupTimeoutMs } : {}) };
        if (stopSignal.signal.aborted) {
          snapshot = { ...snapshot, lastExit, address: undefined, port: undefined, pid: undefined };
          return;
        }
        log.warn({ event: 'vs.crashed', vs: spec.name, ...lastExit, restarts: snapshot.restarts }, 'virtual server crashed');
        emit({ state: 'crashed', lastExit, address: undefined, port: undefined, pid: undefined });
        if (readySince !== undefined) kind = 'first';
        if (readySince !== undefined && now() - readySince >= timing.backoffResetMs) attempt = 0;
      }
      if (stopSignal.signal.aborted) return;
      const delayMs = backoffDelay(attempt++, { baseMs: timing.backoffBaseMs, maxMs: timing.backoffMaxMs });
      log.info({ event: 'vs.backoff', vs: spec.name, delayMs }, 'virtual server restarts after a backoff');
      emit({ state: 'backoff', backoffMs: delayMs });
      await sleep(delayMs, stopSignal.signal);
      if (!stopSignal.signal.aborted) snapshot = { ...snapshot, restarts: snapshot.restarts + 1 };
    }
  }

  return {
    get snapshot() {
      return { ...snapshot };
    },
    start() {
      if (loop || stopping) return;
      const gate = opts.startGate;
      if (!gate || gate.wouldStart('first')) emit({ state: 'starting' });
      loop = run().catch((err: unknown) => log.error({ event: 'vs.supervisor_failed', err, vs: spec.name }, 'virtual server supervisor failed'));
    },
    stop(grace) {
      stopping ??= (async () => {
        graceMs = grace;
        log.info({ event: 'vs.stopping', vs: spec.name, graceMs }, 'virtual server stopping');
        emit({ state: 'stopping' });
        stopSignal.abort();
        await loop;
        log.info({ event: 'vs.stopped', vs: spec.name }, 'virtual server stopped');
        emit({ state: 'stopped', address: undefined, port: undefined, pid: undefined });
      })();
      return stopping;
    },
  };
}
