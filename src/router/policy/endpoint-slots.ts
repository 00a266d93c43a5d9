// A route's endpointMaxInFlight (pooled static sites): at most that many requests of this
// router process in flight to one endpoint. A request whose site has every endpoint at its
// cap waits here, first come first served, for one of them to end a request: at most
// maxWaitMs (the router's wakeTimeoutMs), at most maxWaiting per site (busyQueue); then the
// caller answers 503 ROUTER_SITE_BUSY.
// The counts are the balancer's InFlight (least-conn's measure), kept for capped routes too.

import type { Route } from '../../model/index.ts';
import { endpointKey } from './ejections.ts';
import type { InFlight } from './in-flight.ts';

interface Waiter {
  site: string;
  keys: string[];
  resume: () => void;
  timer: NodeJS.Timeout;
}

export class EndpointSlots {
  readonly #inFlight: InFlight;
  readonly #maxWaitMs: number;
  readonly #maxWaiting: number;
  /** Endpoint key → the requests waiting for it (a Set keeps arrival order). */
  readonly #byKey = new Map<string, Set<Waiter>>();
  readonly #perSite = new Map<string, number>();
  readonly #onWaiting: ((site: string, by: 1 | -1) => void) | undefined;

  /** onWaiting hears a site's waiting requests change by one (the metrics). */
  constructor(inFlight: InFlight, maxWaitMs: number, maxWaiting: number, onWaiting?: (site: string, by: 1 | -1) => void) {
    this.#inFlight = inFlight;
    this.#maxWaitMs = maxWaitMs;
    this.#maxWaiting = maxWaiting;
    this.#onWaiting = onWaiting;
  }

  /** The endpoints of a capped route at their cap now; undefined when none is (or the route has no cap). */
  full(route: Route): Set<string> | undefined {
    const cap = route.endpointMaxInFlight;
    if (cap === undefined) return undefined;
    let full: Set<string> | undefined;
    for (const ep of route.endpoints) {
      const key = endpointKey(ep);
      if (this.#inFlight.count(key) >= cap) (full ??= new Set()).add(key);
    }
    return full;
  }

  /**
   * Wait for one of these endpoints to end a request: resume() then, timedOut() after
   * maxWaitMs. False when the site already has maxWaiting waiting; else the cancel (the
   * client left).
   */
  wait(site: string, keys: string[], resume: () => void, timedOut: () => void): false | (() => void) {
    const waiting = this.#perSite.get(site) ?? 0;
    if (waiting >= this.#maxWaiting) return false;
    this.#perSite.set(site, waiting + 1);
    this.#onWaiting?.(site, 1);
    const waiter: Waiter = {
      site,
      keys,
      resume,
      timer: setTimeout(() => {
        this.#leave(waiter);
        timedOut();
      }, this.#maxWaitMs),
    };
    for (const key of keys) {
      let set = this.#byKey.get(key);
      if (set === undefined) this.#byKey.set(key, (set = new Set()));
      set.add(waiter);
    }
    return () => this.#leave(waiter);
  }

  /** An endpoint ended a request: its first waiter, if any, goes on. */
  freed(key: string): void {
    const set = this.#byKey.get(key);
    if (set === undefined) return;
    const first = set.values().next().value;
    if (first === undefined) return;
    this.#leave(first);
    first.resume();
  }

  /** Requests waiting for a site (tests, metrics). */
  waiting(site: string): number {
    return this.#perSite.get(site) ?? 0;
  }

  #leave(w: Waiter): void {
    clearTimeout(w.timer);
    let gone = false;
    for (const key of w.keys) {
      const set = this.#byKey.get(key);
      if (set?.delete(w)) gone = true;
      if (set?.size === 0) this.#byKey.delete(key);
    }
    if (!gone) return; // left already
    const n = (this.#perSite.get(w.site) ?? 1) - 1;
    if (n > 0) this.#perSite.set(w.site, n);
    else this.#perSite.delete(w.site);
    this.#onWaiting?.(w.site, -1);
  }
}
