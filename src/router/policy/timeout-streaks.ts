// Per-try timeouts in a row, per endpoint. A slow answer does not eject an endpoint (it
// may be one slow page); an endpoint whose tries keep timing out — STREAK in a row, with
// no answered request between — is ejected like a failed one (proxy-request.ts).

export const TIMEOUT_STREAK = 3;

export class TimeoutStreaks {
  readonly #counts = new Map<string, number>();

  /** A try on key ran out of its per-try timeout. True when the streak is reached (the count starts over). */
  timedOut(key: string): boolean {
    const n = (this.#counts.get(key) ?? 0) + 1;
    if (n < TIMEOUT_STREAK) {
      this.#counts.set(key, n);
      return false;
    }
    this.#counts.delete(key);
    return true;
  }

  /** key answered a request: its streak ends. O(1), and free while nothing timed out. */
  answered(key: string): void {
    if (this.#counts.size !== 0) this.#counts.delete(key);
  }

  /** Forget endpoints that are no longer routed to. */
  retain(keys: ReadonlySet<string>): void {
    for (const key of this.#counts.keys()) if (!keys.has(key)) this.#counts.delete(key);
  }
}
