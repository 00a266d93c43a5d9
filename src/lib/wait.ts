// Polling with a deadline: the one way Corral (and its tests) waits for something to become true.

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** Shown in the timeout error. */
  what?: string;
  /** Stop polling once aborted (a stop asked during start-up): throws its reason. */
  signal?: AbortSignal;
}

/** Call check until it returns a value other than undefined/false, or throw after timeoutMs. */
export async function waitFor<T>(check: () => T | Promise<T>, opts: WaitOptions = {}): Promise<Exclude<T, undefined | false>> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const intervalMs = opts.intervalMs ?? 25;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (true) {
    opts.signal?.throwIfAborted();
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v as Exclude<T, undefined | false>;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const why = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${opts.what ?? 'condition'}${why}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * The other side of waitFor: call check (which throws when what must hold does not) every
 * intervalMs for forMs, and throw its first failure. For what must stay true over a time,
 * such as a server kept up while a tunnel is open.
 */
export async function holdsFor(check: () => unknown, forMs: number, intervalMs = 100): Promise<void> {
  const until = Date.now() + forMs;
  do {
    await check();
    await new Promise((r) => setTimeout(r, intervalMs));
  } while (Date.now() < until);
}
