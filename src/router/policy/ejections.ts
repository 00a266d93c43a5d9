// Passive health: an endpoint whose connection failed is skipped for a short time,
// then tried again. Kept apart from the route table so it survives table swaps.

import type { Endpoint } from '../../model/index.ts';
import { sharedString } from '../../model/shared-strings.ts';

export class Ejections {
  readonly #until = new Map<string, number>();
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

  /** Skip this endpoint for the ejection period. Returns true if it was not already ejected. */
  eject(key: string): boolean {
    const fresh = !this.isEjected(key);
    this.#until.set(key, this.#now() + this.#ms);
    this.onEject?.(key);
    return fresh;
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
