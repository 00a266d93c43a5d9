// A router worker's heap after a burst: a deploy of thousands of sites is thousands of
// 'route-diff' messages, and a burst of requests leaves its garbage too. V8 keeps the pages
// the burst filled, and its own memory reducer only starts after a major collection that a
// quiet worker never reaches: at 10,000 sites that was 20–40 MB of a worker's RSS for as
// long as the worker stayed idle. So once the burst is over (QUIET_MS with no table change
// and no request), one full collection compacts the heap and V8 gives the empty pages back.

/** How long after the last table change or request the worker collects. */
export const QUIET_MS = 5_000;

export interface HeapSettler {
  /** A table change, or a second with requests: collect once QUIET_MS pass without another. */
  touch(): void;
  /** Forget a pending collection (the worker is closing). */
  stop(): void;
}

/**
 * gc: V8's collector as `--expose-gc` makes it (globalThis.gc); without it (a worker started
 * with its own node arguments) the settler does nothing and V8 shrinks the heap when it does.
 */
export function heapSettler(gc: (() => void) | undefined, quietMs = QUIET_MS): HeapSettler {
  let timer: NodeJS.Timeout | undefined;
  const stop = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
  };
  return {
    touch() {
      if (!gc) return;
      stop();
      timer = setTimeout(() => {
        timer = undefined;
        gc();
      }, quietMs);
      timer.unref();
    },
    stop,
  };
}

/** globalThis.gc when node runs with --expose-gc. */
export function exposedGc(): (() => void) | undefined {
  const gc: unknown = (globalThis as { gc?: unknown }).gc;
  return typeof gc === 'function' ? () => (gc as () => void)() : undefined;
}
