// Exponential restart backoff: base, 2·base, 4·base … capped; reset once the VS has
// stayed ready long enough.

export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
}

export function backoffDelay(attempt: number, opts: BackoffOptions): number {
  return Math.min(opts.maxMs, opts.baseMs * 2 ** Math.min(attempt, 30));
}
