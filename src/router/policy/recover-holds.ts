// Requests held because no server of their site took their connection: every try was
// refused (a crashed server its engine is restarting, a host's forwarder restarting) or
// the route has no endpoint left (the engine saw the exit and took the server out).
// Nothing reached a server, so any such request may wait and be tried again: a hold
// pauses a request for `delayMs`, then it goes on (`go`) through the route of then. The
// request's own forwarding grows the pause and keeps the deadline (proxy-request.ts).
// At most `maxPerSite` wait per site (more are answered at once, as before); the router's
// close answers every one now (`fail`).

import type { Route } from '../../model/index.ts';

/** The first pause of a request that no server took, doubled each time up to the most. */
export const RECOVER_FIRST_PAUSE_MS = 25;
export const RECOVER_MAX_PAUSE_MS = 250;

/** May a request of this route that no server took be held? Not when holds are off, the site is idle (its wake is the way back) or says never to retry (maxTries 1). */
export function mayHold(route: Route, holdMs: number): boolean {
  return holdMs > 0 && route.idle !== true && route.retry?.maxTries !== 1;
}

/** One request's holds: each pause doubles from RECOVER_FIRST_PAUSE_MS up to RECOVER_MAX_PAUSE_MS, all within holdMs of its first. */
export class HoldSchedule {
  #until = 0;
  #pause = 0;

  /** The next pause (ms), or undefined when the time is up. */
  next(holdMs: number, now: number): number | undefined {
    if (this.#until === 0) this.#until = now + holdMs;
    const left = this.#until - now;
    if (left <= 0) return undefined;
    this.#pause = this.#pause === 0 ? RECOVER_FIRST_PAUSE_MS : Math.min(this.#pause * 2, RECOVER_MAX_PAUSE_MS);
    return Math.min(this.#pause, left);
  }
}

export interface RecoverHold {
  /** The pause is over: try the site again. */
  go(): void;
  /** The router closes: answer now ('timeout': the request's own error) or cut it ('gone'). */
  fail(why: 'timeout' | 'gone'): void;
}

interface Pending extends RecoverHold {
  timer: NodeJS.Timeout;
}

export class RecoverHolds {
  readonly #sites = new Map<string, Set<Pending>>();

  constructor(private readonly maxPerSite: number) {}

  /** Hold one request of site for delayMs: false when the site has maxPerSite held. The returned function drops it (the client left). */
  hold(site: string, delayMs: number, hold: RecoverHold): (() => void) | false {
    let held = this.#sites.get(site);
    if (held === undefined) this.#sites.set(site, (held = new Set()));
    if (held.size >= this.maxPerSite) return false;
    const set = held;
    const p: Pending = {
      ...hold,
      timer: setTimeout(() => {
        this.#leave(site, set, p);
        hold.go();
      }, delayMs),
    };
    set.add(p);
    return () => {
      if (!set.has(p)) return;
      clearTimeout(p.timer);
      this.#leave(site, set, p);
    };
  }

  waiting(site: string): number {
    return this.#sites.get(site)?.size ?? 0;
  }

  /** Every held request fails now (the router stops). Safe twice. */
  destroy(why: 'timeout' | 'gone' = 'gone'): void {
    const all = [...this.#sites.values()].flatMap((s) => [...s]);
    this.#sites.clear();
    for (const p of all) {
      clearTimeout(p.timer);
      p.fail(why);
    }
  }

  #leave(site: string, set: Set<Pending>, p: Pending): void {
    set.delete(p);
    if (set.size === 0 && this.#sites.get(site) === set) this.#sites.delete(site);
  }
}
