// A process's heap after a burst of work. V8 keeps the pages a burst filled, and its own
// memory reducer only starts after a major collection that a quiet process never reaches:
// at 10,000 sites that was 20–40 MB of a router worker's RSS (a deploy is thousands of
// 'route-diff' messages, then the first requests), and ≈ 18 MB of `corral up`'s (the
// controller's API calls and passes), for as long as the farm stayed idle. So once the
// burst is over and the heap has grown by GROWTH_BYTES since it last settled, one full
// collection compacts it and V8 gives the empty pages back. Sparse work (an uptime check
// every few seconds, the farm's own ticks) grows nothing and costs no collection.
//
// Two ways to know the burst is over:
//   - heapSettler: the caller says when work happens (a router worker: a table change, a
//     second with requests), and the collection comes QUIET_MS after the last of them;
//   - quietHeapSettler: a process of many parts (a farm node) has no one such signal, so it
//     looks at its event loop every QUIET_MS and collects in the first period that was busy
//     less than QUIET_UTILIZATION of the time.

import { performance } from 'node:perf_hooks';
import { getHeapSpaceStatistics, getHeapStatistics, setFlagsFromString } from 'node:v8';
import type { Logger } from './log.ts';
import { runInNewContext } from 'node:vm';

/** How long after the last table change or request the worker collects. */
export const QUIET_MS = 5_000;
/** How much the heap must have grown since it last settled for a collection to be worth it. */
export const GROWTH_BYTES = 4 * 1024 * 1024;

export interface HeapSettler {
  /** A table change, or a second with requests: collect once QUIET_MS pass without another. */
  touch(): void;
  /** The worker is closing: nothing is collected from now on. */
  stop(): void;
}

export interface HeapSettleOptions {
  /** V8's collector as `--expose-gc` makes it (exposedGc); without it (a router in a process not started so) the settler does nothing. */
  gc: (() => void) | undefined;
  /** The heap's size (default: V8's total_heap_size). */
  heapSize?: () => number;
  now?: () => number;
  quietMs?: number;
  growthBytes?: number;
}

export function heapSettler(opts: HeapSettleOptions): HeapSettler {
  const { gc } = opts;
  if (!gc) return { touch() {}, stop() {} };
  const heapSize = opts.heapSize ?? (() => getHeapStatistics().total_heap_size);
  const now = opts.now ?? Date.now;
  const quietMs = opts.quietMs ?? QUIET_MS;
  const growthBytes = opts.growthBytes ?? GROWTH_BYTES;
  let settled = heapSize();
  let last = 0;
  let stopped = false;
  // one timer at a time, armed by the first touch of a burst (not one per touch)
  let timer: NodeJS.Timeout | undefined;
  const arm = (ms: number) => {
    timer = setTimeout(fire, ms);
    timer.unref();
  };
  const fire = () => {
    timer = undefined;
    const wait = last + quietMs - now();
    if (wait > 0) return arm(wait); // touched since: the burst goes on
    if (heapSize() - settled < growthBytes) return;
    gc();
    settled = heapSize();
  };
  return {
    touch() {
      if (stopped) return;
      last = now();
      if (!timer) arm(quietMs);
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
}

/** globalThis.gc when node runs with --expose-gc. */
export function exposedGc(): (() => void) | undefined {
  const gc: unknown = (globalThis as { gc?: unknown }).gc;
  return typeof gc === 'function' ? () => (gc as () => void)() : undefined;
}

/**
 * V8's full collection for a process not started with --expose-gc (`npx corral up` runs
 * through bin/corral.js's launcher, which passes node no flags): the flag set at runtime gives a
 * new context its `gc`, which collects the whole isolate's heap.
 */
export function processGc(): () => void {
  const exposed = exposedGc();
  if (exposed) return exposed;
  if (!contextGc) {
    setFlagsFromString('--expose-gc');
    contextGc = runInNewContext('gc') as () => void; // one context for the process, however many nodes ask
  }
  const gc = contextGc;
  return () => gc();
}

let contextGc: (() => void) | undefined;

/** The event loop's busy share of a period: below this, a farm node's burst is over. */
export const QUIET_UTILIZATION = 0.1;

export interface QuietHeapSettleOptions {
  gc: () => void;
  /** The heap's size (default: oldGenerationSize). */
  heapSize?: () => number;
  /** Each collection, as `heap.settled` at info with the sizes before and after. */
  log?: Logger;
  /** The event loop's busy share since the last call, 0–1 (default: performance.eventLoopUtilization). */
  utilization?: () => number;
  periodMs?: number;
  growthBytes?: number;
  quietUtilization?: number;
  /** Hold the young generation at its size (true, from a quiet period on) or let it grow (false), e.g. youngGrowth; default: V8's growth left alone. */
  holdYoung?: (hold: boolean) => void;
}

/**
 * Hold V8's young generation at its size (growth factor 1), or let it grow again (V8's
 * default factor, 2). Read at each growth, so it takes effect at once; the size itself is
 * fixed at start (`--max-semi-space-size`), which `npx corral up` cannot pass. V8 shrinks
 * the young generation by itself once allocation slows.
 */
export function youngGrowth(hold: boolean): void {
  setFlagsFromString(`--semi-space-growth-factor=${hold ? 1 : 2}`);
}

/**
 * Every periodMs (QUIET_MS), a full collection if the period was quiet and the heap has grown
 * by growthBytes over the smallest it has been since it last settled (a collection of V8's
 * own that shrank it counts as settling). Given `holdYoung` (`corral up`: youngGrowth), from a
 * quiet period until the next busy one the young generation is held at its size: an idle farm's periodic work (a full reconcile pass
 * at 10,000 sites every two minutes) grew it from 1 to 32 MiB for a minute at a time, and
 * 18 MB of `corral up`'s RSS came and went with it; a burst of work gets its growth back
 * within one period. The timer holds no process open. Returns the stop.
 */
export function quietHeapSettler(opts: QuietHeapSettleOptions): () => void {
  const heapSize = opts.heapSize ?? oldGenerationSize;
  const utilization = opts.utilization ?? loopUtilization();
  const growthBytes = opts.growthBytes ?? GROWTH_BYTES;
  const quiet = opts.quietUtilization ?? QUIET_UTILIZATION;
  const holdYoung = opts.holdYoung;
  let held = false;
  let low = heapSize();
  const timer = setInterval(() => {
    const busy = utilization();
    if (holdYoung && busy < quiet !== held) holdYoung((held = busy < quiet));
    const size = heapSize();
    low = Math.min(low, size);
    if (busy >= quiet || size - low < growthBytes) return;
    const started = performance.now();
    opts.gc();
    low = heapSize();
    const mb = (n: number) => Math.round(n / 2 ** 20);
    opts.log?.info({ event: 'heap.settled', beforeMb: mb(size), afterMb: mb(low), ms: Math.round(performance.now() - started) }, 'heap collected once the burst was over');
  }, opts.periodMs ?? QUIET_MS);
  timer.unref();
  return () => {
    clearInterval(timer);
    if (held) holdYoung?.((held = false));
  };
}

/**
 * The heap V8 has committed outside its young generation. The young generation grows to
 * 16 MiB for a while after any burst and shrinks again by itself, so counting it would
 * take a farm's ordinary ticks for growth: one full collection every few periods (≈ 1 % of
 * a core at 10,000 sites) for nothing a collection gives back.
 */
export function oldGenerationSize(): number {
  let size = 0;
  for (const s of getHeapSpaceStatistics()) if (s.space_name !== 'new_space' && s.space_name !== 'new_large_object_space') size += s.space_size;
  return size;
}

/** The event loop's busy share since the last call (the first: since the process began). */
function loopUtilization(): () => number {
  let last = performance.eventLoopUtilization();
  return () => {
    const now = performance.eventLoopUtilization();
    const share = performance.eventLoopUtilization(now, last).utilization;
    last = now;
    return share;
  };
}
