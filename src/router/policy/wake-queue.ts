// Requests for an idle site (a route marked `idle`, no endpoint: the site scaled to
// zero), held while the site is woken. Per site at most `maxPerSite` wait (more → 503
// ROUTER_WAKE_QUEUE_FULL at once), each at most `maxWaitMs` (→ 503 ROUTER_WAKE_TIMEOUT);
// both say Retry-After. The first held request of a site asks for a wake (`onWake`),
// again every WAKE_REPEAT_MS while requests wait (a lost wake is asked again). When
// the site's route has endpoints again (release), every held request resumes through the
// normal chain in arrival order.
// A site that is not idle but has no endpoint yet (starting) holds its requests the same
// way, for their own shorter wait and without asking for a wake (`wake: false`).

import type { Route } from '../../model/index.ts';

export const WAKE_REPEAT_MS = 1_000;

export interface Held {
  /** Go on with this route (it has endpoints). */
  resume(route: Route): void;
  /** Give up: answer 503 (timeout), or the client went away (nothing to answer). */
  fail(why: 'timeout' | 'gone'): void;
}

interface Waiter extends Held {
  timer: NodeJS.Timeout;
}

/** How one request is held: `wake` asks for the site's wake (an idle site); `maxWaitMs` overrides the queue's. */
export interface HoldOptions {
  wake?: boolean;
  maxWaitMs?: number;
}

export class WakeQueue {
  readonly #sites = new Map<string, { waiters: Set<Waiter>; asked: number; wake: boolean }>();
  #onWake: (site: string) => void = () => {};
  #ticker: NodeJS.Timeout | undefined;

  constructor(private readonly maxPerSite: number, private readonly maxWaitMs: number) {}

  /** Who asks for wakes (the router's owner: a store write, or a message to the cluster's primary). */
  onWake(listener: (site: string) => void): void {
    this.#onWake = listener;
  }

  /** Hold a request for the site: false when its queue is full. The returned function drops it (client gone). */
  hold(site: string, held: Held, opts: HoldOptions = {}): (() => void) | false {
    let s = this.#sites.get(site);
    if (!s) this.#sites.set(site, (s = { waiters: new Set(), asked: 0, wake: false }));
    if (s.waiters.size >= this.maxPerSite) return false;
    const entry = s;
    const w: Waiter = {
      ...held,
      timer: setTimeout(() => {
        entry.waiters.delete(w);
        held.fail('timeout');
      }, opts.maxWaitMs ?? this.maxWaitMs),
    };
    entry.waiters.add(w);
    if (opts.wake !== false) entry.wake = true;
    this.#ask(site, entry);
    this.#ticker ??= setInterval(() => this.#repeat(), WAKE_REPEAT_MS).unref();
    return () => {
      if (!entry.waiters.delete(w)) return;
      clearTimeout(w.timer);
    };
  }

  /** Held requests of these sites for whose routes there are endpoints now resume; others ask again for their wake when due. */
  release(lookup: (site: string) => Route | undefined): void {
    for (const [site, s] of this.#sites) {
      const route = lookup(site);
      if (route && route.endpoints.length > 0) {
        this.#sites.delete(site);
        for (const w of s.waiters) {
          clearTimeout(w.timer);
          w.resume(route);
        }
      } else if (!route) {
        this.#sites.delete(site);
        for (const w of s.waiters) {
          clearTimeout(w.timer);
          w.fail('timeout');
        }
      } else if (s.waiters.size === 0) this.#sites.delete(site);
      else this.#ask(site, s);
    }
  }

  waiting(site: string): number {
    return this.#sites.get(site)?.waiters.size ?? 0;
  }

  /** Every held request fails now (the router stops: 'timeout' answers 503, 'gone' cuts them). Safe twice. */
  destroy(why: 'timeout' | 'gone' = 'gone'): void {
    for (const s of this.#sites.values()) for (const w of s.waiters) {
      clearTimeout(w.timer);
      w.fail(why);
    }
    this.#sites.clear();
    clearInterval(this.#ticker);
    this.#ticker = undefined;
  }

  /** Sites still waiting ask again; with none left the ticker stops. */
  #repeat(): void {
    for (const [site, s] of this.#sites) {
      if (s.waiters.size === 0) this.#sites.delete(site);
      else this.#ask(site, s);
    }
    if (this.#sites.size === 0) {
      clearInterval(this.#ticker);
      this.#ticker = undefined;
    }
  }

  #ask(site: string, s: { asked: number; wake: boolean }): void {
    if (!s.wake) return;
    const now = Date.now();
    if (now - s.asked < WAKE_REPEAT_MS) return;
    s.asked = now;
    this.#onWake(site);
  }
}
