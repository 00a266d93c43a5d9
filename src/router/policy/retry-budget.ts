// A retry budget per site (Finagle's RetryBudget, Linkerd's retry ratio, Envoy's budgets):
// retries may add at most `ratio` of the site's requests over a sliding window, plus a
// floor of `minPerSecond` retries in any one second so a quiet site can still retry.
// A failing farm then costs its backends ≈ (1 + ratio) × the traffic, never × maxTries.
//
// Per router process (each cluster worker has its own). Cheap on the request path: one
// ring of 1-second buckets per site, advanced when touched — no allocation after a site's
// first request. A site quiet for a whole window holds nothing a new ring would not, so a
// sweep every SWEEP_WINDOWS windows forgets it: a worker that served each of 10,000 sites
// once kept ≈ 2.8 MB of empty rings for good.

import type { RouteRetry } from '../../model/index.ts';
import { RETRY_DEFAULTS } from '../../model/retry-defaults.ts';

export interface RetryBudgetOptions {
  /** The sliding window, in whole seconds. Default RETRY_DEFAULTS.budgetWindowSeconds (10). */
  windowSeconds?: number;
  /** The clock, in ms (tests pass a fake one). */
  now?: () => number;
}

/** How many windows apart the sweeps of quiet sites run. */
export const SWEEP_WINDOWS = 6;

export class RetryBudget {
  readonly #sites = new Map<string, SiteWindow>();
  readonly #window: number;
  readonly #now: () => number;
  readonly #sweeper: NodeJS.Timeout;

  constructor(opts: RetryBudgetOptions = {}) {
    this.#window = opts.windowSeconds ?? RETRY_DEFAULTS.budgetWindowSeconds;
    this.#now = opts.now ?? Date.now;
    if (!Number.isInteger(this.#window) || this.#window < 1) throw new TypeError('retry budget windowSeconds must be an integer ≥ 1');
    this.#sweeper = setInterval(() => this.sweep(), SWEEP_WINDOWS * this.#window * 1000).unref();
  }

  /** Forget the sites with no request or retry in the whole window (their ring is all zeros). */
  sweep(): void {
    const oldest = Math.floor(this.#now() / 1000) - this.#window;
    for (const [site, w] of this.#sites) if (w.second <= oldest) this.#sites.delete(site);
  }

  /** The number of sites with a ring (tests). */
  get size(): number {
    return this.#sites.size;
  }

  /** Stop the sweeps (the router is closing). */
  close(): void {
    clearInterval(this.#sweeper);
  }

  /** A client request arrived for site (its first try; retries are not requests). */
  recordRequest(site: string): void {
    const w = this.#at(site);
    w.counts[w.head]!++;
    w.requestTotal++;
  }

  /** May one more retry go out for site now? `policy` is the route's retry settings. */
  canRetry(site: string, policy?: RouteRetry): boolean {
    const w = this.#at(site);
    if (w.counts[this.#window + w.head]! < (policy?.minRetriesPerSecond ?? RETRY_DEFAULTS.minRetriesPerSecond)) return true;
    return w.retryTotal < (policy?.budgetRatio ?? RETRY_DEFAULTS.budgetRatio) * w.requestTotal;
  }

  /** A retry went out for site. */
  recordRetry(site: string): void {
    const w = this.#at(site);
    w.counts[this.#window + w.head]!++;
    w.retryTotal++;
  }

  /** Forget sites that are no longer routed. */
  retain(sites: ReadonlySet<string>): void {
    for (const site of this.#sites.keys()) if (!sites.has(site)) this.#sites.delete(site);
  }

  /** The site's window advanced to now: buckets older than the window are emptied. */
  #at(site: string): SiteWindow {
    const second = Math.floor(this.#now() / 1000);
    let w = this.#sites.get(site);
    if (w === undefined) {
      w = { second, head: 0, counts: new Array<number>(2 * this.#window).fill(0), requestTotal: 0, retryTotal: 0 };
      this.#sites.set(site, w);
      return w;
    }
    const steps = second - w.second;
    if (steps <= 0) return w; // same second (or a clock step back: stay in the current bucket)
    const n = this.#window;
    for (let i = 0, end = Math.min(steps, n); i < end; i++) {
      w.head = (w.head + 1) % n;
      w.requestTotal -= w.counts[w.head]!;
      w.retryTotal -= w.counts[n + w.head]!;
      w.counts[w.head] = 0;
      w.counts[n + w.head] = 0;
    }
    w.second = second;
    return w;
  }
}

interface SiteWindow {
  /** The second (epoch) that bucket `head` counts. */
  second: number;
  head: number;
  /** Requests per second of the window (head first), then retries per second: one small array per site (two typed arrays each cost a backing store). */
  counts: number[];
  requestTotal: number;
  retryTotal: number;
}
