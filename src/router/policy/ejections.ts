// Passive health: an endpoint whose connection failed is skipped for a short time,
// then tried again. Kept apart from the route table so it survives table swaps.
// An endpoint ejected again before it answered a request in between is skipped twice as
// long each time, up to MAX_EJECTIONS_DOUBLED doublings (as Envoy's outlier detection
// multiplies its ejection time): a hung server — it accepts connections, answers nothing —
// cost every request sent to it the per-try timeout each time its 3 s were up, stalling the
// site every 8 s or so until the engine's checks marked it unhealthy.

import type { Endpoint } from '../../model/index.ts';
import { sharedString } from '../../model/shared-strings.ts';

/** 3 s, 6, 12, 24, then 48 s at most (the default ejectMs). */
export const MAX_EJECTIONS_DOUBLED = 4;

export class Ejections {
  readonly #until = new Map<string, number>();
  /** Ejections in a row without an answer in between, per endpoint (only while > 0). */
  readonly #streak = new Map<string, number>();
  /** Marked down by active health checks (health-checks.ts): skipped until they pass. */
  readonly #down = new Set<string>();
  /** Told of every passive ejection (health checks then keep the endpoint down). */
  onEject: ((key: string) => void) | undefined;
  readonly #ms: number;
  readonly #now: () => number;

  constructor(ms: number, now: () => number = Date.now) {
    this.#ms = ms;
    this.#now = now;
  }

  /** Skip this endpoint for the ejection period (longer for each ejection in a row). Returns true if it was not already ejected. */
  eject(key: string): boolean {
    const fresh = !this.isEjected(key);
    // an ejection while still ejected (tries that were in flight) is the same one
    const streak = (this.#streak.get(key) ?? 0) + (fresh ? 1 : 0);
    this.#streak.set(key, Math.max(streak, 1));
    this.#until.set(key, this.#now() + this.#ms * 2 ** Math.min(Math.max(streak, 1) - 1, MAX_EJECTIONS_DOUBLED));
    this.onEject?.(key);
    return fresh;
  }

  /** The endpoint answered a request: its next ejection is a short one again. */
  answered(key: string): void {
    if (this.#streak.size !== 0) this.#streak.delete(key);
  }

  /** How long the endpoint is ejected for now, ms (0: not ejected); tests and logs. */
  ejectedForMs(key: string): number {
    const until = this.#until.get(key);
    return until === undefined ? 0 : Math.max(0, until - this.#now());
  }

  isEjected(key: string): boolean {
    if (this.#down.size !== 0 && this.#down.has(key)) return true;
    if (this.#until.size === 0) return false;
    const until = this.#until.get(key);
    if (until === undefined) return false;
    if (until > this.#now()) return true;
    this.#until.delete(key);
    return false;
  }

  isDown(key: string): boolean {
    return this.#down.has(key);
  }

  setDown(key: string, down: boolean): void {
    if (down) this.#down.add(key);
    else this.#down.delete(key);
  }

  /** Forget endpoints that are no longer routed to. */
  retain(keys: ReadonlySet<string>): void {
    for (const key of this.#until.keys()) if (!keys.has(key)) this.#until.delete(key);
    for (const key of this.#streak.keys()) if (!keys.has(key)) this.#streak.delete(key);
  }
}

/**
 * The identity of an endpoint across route tables: its socket address. Asked for on every
 * try of every request; made once per endpoint record (a route's records are not changed
 * in place: a new table brings new ones).
 */
export function endpointKey(ep: Endpoint): string {
  let key = keys.get(ep);
  // shared: the endpoint of a pool serves many sites, each with a route of its own
  if (key === undefined) keys.set(ep, (key = sharedString(ep.address.includes(':') ? `[${ep.address}]:${ep.port}` : `${ep.address}:${ep.port}`)));
  return key;
}

const keys = new WeakMap<Endpoint, string>();
