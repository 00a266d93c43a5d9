// A router worker's heap after a burst: a deploy of thousands of sites is thousands of
// 'route-diff' messages, and a burst of requests leaves its garbage too. V8 keeps the pages
// the burst filled, and its own memory reducer only starts after a major collection that a
// quiet worker never reaches: at 10,000 sites that was 20–40 MB of a worker's RSS for as
// long as the worker stayed idle. So once the burst is over (QUIET_MS with no table change
// and no request) and the heap has grown by GROWTH_BYTES since it last settled, one full
// collection compacts it and V8 gives the empty pages back. Sparse requests (an uptime
// check every few seconds) grow nothing and cost no collection.

import { getHeapStatistics } from 'node:v8';

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
