// Per-site load of one router process, for the autoscaler: requests in flight, open
// tunnels (WebSockets) and requests held for an idle site all count as one each, as in
// Knative's concurrency. take() returns, per site, the time-weighted mean of that count
// since the last take (what the autoscaler divides by its target), the peak, the
// requests begun and what is open now; then starts a new interval. Sites with nothing
// open and nothing since are left out.

import type { SiteLoadFigures } from '../model/index.ts';

export type LoadReport = Record<string, SiteLoadFigures>;

interface Counter {
  open: number;
  /** ∫ open dt over the interval so far, up to `since` (ms·count). */
  area: number;
  since: number;
  peak: number;
  requests: number;
}

export class SiteLoad {
  readonly #sites = new Map<string, Counter>();
  readonly #now: () => number;
  #intervalStart: number;

  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
    this.#intervalStart = now();
  }

  /** A request (or tunnel, or held request) of the site begins; call the returned function once when it ends. */
  begin(site: string, request = true): () => void {
    this.enter(site, request);
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.leave(site);
    };
  }

  /** A request (or tunnel, or held request) of the site begins: leave() it exactly once when it ends (request-ends.ts). */
  enter(site: string, request = true): void {
    const c = this.#advance(site);
    c.open++;
    c.peak = Math.max(c.peak, c.open);
    if (request) c.requests++;
  }

  /** One of the site's entered requests ended. */
  leave(site: string): void {
    this.#advance(site).open--;
  }

  /** In flight now for the site. */
  open(site: string): number {
    return this.#sites.get(site)?.open ?? 0;
  }

  /** The interval's figures per site, and a new interval. */
  take(): LoadReport {
    const now = this.#now();
    const span = Math.max(1, now - this.#intervalStart);
    const out: LoadReport = {};
    for (const [site, c] of this.#sites) {
      c.area += c.open * (now - c.since);
      if (c.open > 0 || c.requests > 0 || c.area > 0) {
        out[site] = { concurrency: Math.round((c.area / span) * 1000) / 1000, peak: c.peak, requests: c.requests, open: c.open };
      }
      if (c.open === 0) this.#sites.delete(site);
      else Object.assign(c, { area: 0, since: now, peak: c.open, requests: 0 });
    }
    this.#intervalStart = now;
    return out;
  }

  #advance(site: string): Counter {
    const now = this.#now();
    let c = this.#sites.get(site);
    if (!c) this.#sites.set(site, (c = { open: 0, area: 0, since: now, peak: 0, requests: 0 }));
    c.area += c.open * (now - c.since);
    c.since = now;
    return c;
  }
}

/** Several reports (a router's workers) summed into one. */
export function sumLoad(reports: Iterable<LoadReport>): LoadReport {
  const out: LoadReport = {};
  for (const r of reports) {
    for (const [site, f] of Object.entries(r)) {
      const s = (out[site] ??= { concurrency: 0, peak: 0, requests: 0, open: 0 });
      s.concurrency += f.concurrency;
      s.peak += f.peak;
      s.requests += f.requests;
      s.open += f.open;
    }
  }
  return out;
}
