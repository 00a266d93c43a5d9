// When the wait of a rollout (rollout-follow.ts) stops before its --timeout: the new servers
// crash-loop. The rule, checked at each status read of the rollout, holds when
//   - at least CRASH_LOOP_AFTER_MS (10 s) have passed since the wait began — by then the
//     engine's backoff (100 ms doubling) has started a server that exits at once some six
//     times, and a start that is merely slow has had its chance;
//   - the rollout has new servers (those running what the site says now) and none of them
//     was ever seen ready since the wait began; and
//   - every one of them has failed its start at least CRASH_LOOP_STARTS (3) times since the
//     wait began. A failed start is an exit (any code or signal, an OOM kill included), a
//     stop by the engine for missing its start timeout, or a start the runtime could not make:
//     each is one restart the engine counts, and the failure a server backs off from now
//     (state crashed or backoff) is one more. A server already there at the first read
//     (a pool's, one made before the wait) counts only the failures after that read.
// A server that crashes once and then comes up never reaches it; one that was ready once
// stops the rule for the rollout (it may crash later for another reason: --timeout is for
// that); a server not yet started (placed, queued) keeps the wait going. A server ready and
// gone again between two reads is not seen ready: it crashes as it starts, all the same.
// The old servers serve on meanwhile: the reconciler switches the route only once every
// new server is ready, so stopping the wait changes nothing on the farm.
import type { VirtualServerView } from '../../model/index.ts';

/** Failed starts of every new server, since the wait began, before the wait stops early. */
export const CRASH_LOOP_STARTS = 3;
/** The least time a wait runs before it may stop early. */
export const CRASH_LOOP_AFTER_MS = 10_000;

/** Tells, read after read of one rollout, whether its new servers crash-loop. */
export interface CrashLoopWatch {
  /** One status read's new servers (the rollout's `current` ones), at `now` (ms): true once the rule holds. */
  looping(mine: readonly VirtualServerView[], now: number): boolean;
}

/** A watch for a wait that began at `startedAt` (ms since the epoch). */
export function crashLoopWatch(startedAt: number): CrashLoopWatch {
  /** Failed starts at the first read, of the servers there then. */
  let before: Map<string, number> | undefined;
  let everReady = false;
  return {
    looping(mine, now) {
      before ??= new Map(mine.map((v) => [v.vs, failedStarts(v)]));
      everReady ||= mine.some((v) => v.state === 'ready');
      if (everReady || mine.length === 0 || now - startedAt < CRASH_LOOP_AFTER_MS) return false;
      return mine.every((v) => failedStarts(v) - (before?.get(v.vs) ?? 0) >= CRASH_LOOP_STARTS);
    },
  };
}

/** The starts a server has failed: the engine's restarts, and the failure it backs off from now. */
function failedStarts(v: VirtualServerView): number {
  return (v.restarts ?? 0) + (v.state === 'crashed' || v.state === 'backoff' ? 1 : 0);
}
