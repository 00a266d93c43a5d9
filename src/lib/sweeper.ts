// A background job run one pass at a time: kick() asks for a pass soon (kicks during a
// pass coalesce into one more), a timer asks every intervalMs, and a pass may ask for
// the next one earlier (its return value, ms from now). A failed pass is logged by the
// caller's onError and retried at the next kick or tick. Used by the garbage collectors
// (controller blobs, an engine's disk).

export interface Sweeper {
  /** Ask for a pass after debounceMs. */
  kick(): void;
  /** Run a pass now (after the one running, if any) and wait for it. */
  runOnce(): Promise<void>;
  /** Stop the timers and wait for the running pass. Safe twice. */
  close(): Promise<void>;
}

export interface SweeperOptions {
  /** One pass; may return ms after which another pass is due (e.g. when a grace ends). */
  pass: () => Promise<number | undefined | void>;
  onError: (err: unknown) => void;
  intervalMs: number;
  debounceMs?: number;
}

export function createSweeper(opts: SweeperOptions): Sweeper {
  let chain: Promise<void> = Promise.resolve();
  let closed = false;
  let debounce: NodeJS.Timeout | undefined;
  let due: NodeJS.Timeout | undefined;

  const runOnce = (): Promise<void> => {
    const p = chain.then(async () => {
      if (closed) return;
      const next = await opts.pass();
      if (closed || next === undefined || next >= opts.intervalMs) return;
      clearTimeout(due);
      due = setTimeout(kick, Math.max(0, next));
      due.unref();
    });
    chain = p.catch(() => undefined);
    return p;
  };

  function kick(): void {
    if (closed || debounce) return;
    debounce = setTimeout(() => {
      debounce = undefined;
      runOnce().catch(opts.onError);
    }, opts.debounceMs ?? 200);
    debounce.unref();
  }

  const timer = setInterval(kick, opts.intervalMs);
  timer.unref();

  return {
    kick,
    runOnce,
    async close() {
      closed = true;
      clearInterval(timer);
      clearTimeout(debounce);
      clearTimeout(due);
      await chain;
    },
  };
}
