// A background job run one pass at a time: kick() asks for a pass soon (kicks during a
// pass coalesce into one more), a timer asks every intervalMs, and a pass may ask for
// the next one earlier (its return value, ms from now). A failed pass is logged by the
// caller's onError and retried at the next kick or tick. Used by the garbage collectors
// (controller blobs, an engine's disk) and the scheduled backups. The timer's period
// varies by ± JITTER around intervalMs (a caller may ask for none), so collectors started
// in the same second drift apart: at 10,000 sites the blob collector (every 5 minutes) and
// the disk janitor (every 10) met at the tenth minute, with the ACME safety net and a full
// reconcile pass, and their reads together held ≈ 15 MB more of `corral up`'s RSS for
// those seconds.

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
  /** The period's spread, a share of intervalMs (default JITTER). */
  jitter?: number;
  /** Random numbers in [0, 1) (default Math.random). */
  random?: () => number;
}

/** Each period of a sweeper's timer is intervalMs × (1 ± JITTER). */
export const JITTER = 0.1;
/** Node's longest timer delay (a longer one fires at once). */
const MAX_TIMER_MS = 2 ** 31 - 1;

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

  const jitter = opts.jitter ?? JITTER;
  const random = opts.random ?? Math.random;
  let timer: NodeJS.Timeout;
  // a period longer than node's longest timer is waited out in several
  const wait = (left: number) => {
    const now = Math.min(MAX_TIMER_MS, left);
    timer = setTimeout(() => {
      if (left > now) return wait(left - now);
      kick();
      tick();
    }, now);
    timer.unref();
  };
  const tick = () => wait(opts.intervalMs * (1 + jitter * (2 * random() - 1)));
  tick();

  return {
    kick,
    runOnce,
    async close() {
      closed = true;
      clearTimeout(timer);
      clearTimeout(debounce);
      clearTimeout(due);
      await chain;
    },
  };
}
