// Abortable sleeps that resolve (never reject) when the time is up or the signal aborts.

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Like sleep, but ends on the first whole `tickMs` (of the clock) at or after `ms` from now,
 * and every sleeper due on the same tick shares one timer: an engine's steady health checks
 * of many VSs wake it once per tick, not once per VS. (A wake-up costs more than the check on
 * a virtual machine: ≈ 80 µs of a core in the hypervisor's interrupt handling alone.)
 */
export function sleepToTick(ms: number, tickMs: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const at = Math.ceil((Date.now() + ms) / tickMs) * tickMs;
    let tick = ticks.get(at);
    if (!tick) {
      const waiters = new Set<() => void>();
      // a timer may fire a millisecond early by the clock (libuv rounds): then it waits on
      const fire = (): void => {
        const early = at - Date.now();
        if (early > 0) return void (entry.timer = setTimeout(fire, early));
        ticks.delete(at);
        for (const w of waiters) w();
      };
      const entry = { timer: setTimeout(fire, Math.max(0, at - Date.now())), waiters };
      ticks.set(at, (tick = entry));
    }
    const mine = tick;
    const done = () => {
      mine.waiters.delete(done);
      if (mine.waiters.size === 0 && ticks.get(at) === mine) {
        clearTimeout(mine.timer);
        ticks.delete(at);
      }
      signal?.removeEventListener('abort', done);
      resolve();
    };
    mine.waiters.add(done);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** The ticks sleepToTick's sleepers wait for, by the clock time they end at (shared within the process). */
const ticks = new Map<number, { timer: NodeJS.Timeout; waiters: Set<() => void> }>();

/** How many ticks have a timer (tests). */
export function pendingTicks(): number {
  return ticks.size;
}
