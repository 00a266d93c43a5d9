// Per-site request statistics for the console's live charts and for /metrics, fed by the
// request chain's end (request-ends.ts: each request of a known site, its status and
// duration, once its reply closes). Keeps one bucket per second for the last
// WINDOW_SECONDS: requests, 5xx (server errors), 4xx (client errors), and a bounded latency
// sample for p50/p99.

import type { Route, SiteStatsPoint } from '../model/index.ts';
import type { FinishSource } from './request-ends.ts';
import { siteRequests, siteRequestSeconds } from './request-series.ts';
import { droppedSites, type RouteDiff } from './route-table.ts';

export const WINDOW_SECONDS = 300;
/** How often sites idle for the window are forgotten (a walk of the sites holding buckets: ≈ 1 ms at 10,000). */
export const SWEEP_SECONDS = 30;
const SAMPLES_PER_BUCKET = 256;

export interface SiteStats {
  /** Give to watchRoutes alongside the router: the series of sites no longer routed are dropped. */
  setRoutes(routes: readonly Route[]): void;
  /** The same per site (beside Router.updateRoutes): the series of removed sites are dropped. */
  updateRoutes(diff: RouteDiff): void;
  /** The last `seconds` (≤ WINDOW_SECONDS) in buckets of `stepSeconds`, oldest first. */
  series(site: string, seconds?: number, stepSeconds?: number): SiteStatsPoint[];
  /** Stop listening. */
  close(): void;
}

interface Bucket {
  second: number;
  requests: number;
  errors: number;
  clientErrors: number;
  latencies: number[];
}

/** One second of one site, as a worker of the router cluster sends it to the primary (clientErrors: 4xx; absent from older workers). */
export type SiteStatsSample = [second: number, requests: number, errors: number, latenciesMs: number[], clientErrors?: number];

/** How a response counts: a server error (≥ 500, or cut off), a client error (4xx), or neither. */
export type Outcome = 'ok' | 'client' | 'server';

export function outcomeOf(status: number, aborted: boolean): Outcome {
  return aborted || status >= 500 ? 'server' : status >= 400 ? 'client' : 'ok';
}

/**
 * The per-site one-second buckets and their series, fed by trackSiteStats (in-process)
 * or by the router cluster's primary from its workers' samples (`add`).
 */
export interface SiteSeries {
  record(site: string, second: number, ms: number, outcome: Outcome): void;
  add(site: string, sample: SiteStatsSample): void;
  prune(liveSites: ReadonlySet<string>): void;
  /** Forget these sites. */
  drop(sites: readonly string[]): void;
  series: SiteStats['series'];
  /** The sites holding buckets now. */
  readonly size: number;
  /** Stop sweeping. */
  close(): void;
}

export function createSiteSeries(now: () => number = Date.now): SiteSeries {
  // per site, its buckets in order of second, none older than the window: a site with one
  // request holds one bucket (not a slot per second of the window), a site idle for the
  // window holds none (swept every SWEEP_SECONDS by the timer, samples or not: 10,000 sites
  // requested once were ≈ 5 MB kept for good when only a later sample swept, and up to
  // twice the window when the timer swept once per window)
  const sites = new Map<string, Bucket[]>();
  const sweep = () => {
    const oldest = Math.floor(now() / 1000) - WINDOW_SECONDS;
    for (const [site, list] of sites) if ((list.at(-1)?.second ?? -Infinity) <= oldest) sites.delete(site);
  };
  const sweeper = setInterval(sweep, SWEEP_SECONDS * 1000).unref();
  const bucketFor = (site: string, second: number): Bucket => {
    let list = sites.get(site);
    if (!list) sites.set(site, (list = []));
    let i = list.length - 1;
    while (i >= 0 && list[i]!.second > second) i--; // a worker's sample may come a second late
    if (i >= 0 && list[i]!.second === second) return list[i]!;
    const b: Bucket = { second, requests: 0, errors: 0, clientErrors: 0, latencies: [] };
    list.splice(i + 1, 0, b);
    const oldest = list.at(-1)!.second - WINDOW_SECONDS;
    let drop = 0;
    while (drop < list.length && list[drop]!.second <= oldest) drop++;
    if (drop > 0) list.splice(0, drop);
    return b;
  };
  const sample = (b: Bucket, ms: number) => {
    if (b.latencies.length < SAMPLES_PER_BUCKET) b.latencies.push(ms);
    else b.latencies[Math.floor(Math.random() * SAMPLES_PER_BUCKET)] = ms;
  };
  return {
    record(site, second, ms, outcome) {
      const b = bucketFor(site, second);
      b.requests++;
      if (outcome === 'server') b.errors++;
      else if (outcome === 'client') b.clientErrors++;
      sample(b, ms);
    },
    add(site, [second, requests, errors, latencies, clientErrors = 0]) {
      if (second <= Math.floor(now() / 1000) - WINDOW_SECONDS) return; // older than the window
      const b = bucketFor(site, second);
      b.requests += requests;
      b.errors += errors;
      b.clientErrors += clientErrors;
      for (const ms of latencies) sample(b, ms);
    },
    prune(live) {
      for (const site of sites.keys()) if (!live.has(site)) sites.delete(site);
    },
    drop(gone) {
      for (const site of gone) sites.delete(site);
    },
    get size() {
      return sites.size;
    },
    close() {
      clearInterval(sweeper);
    },
    series(site, seconds = 120, stepSeconds = 1) {
      const step = Math.max(1, Math.floor(stepSeconds));
      const span = Math.min(WINDOW_SECONDS, Math.max(step, Math.floor(seconds)));
      const nowSecond = Math.floor(now() / 1000);
      // The current second is still filling: the series ends at the last whole one.
      const first = nowSecond - span;
      const count = Math.floor(span / step);
      const steps = Array.from({ length: count }, () => ({ requests: 0, errors: 0, clientErrors: 0, lat: [] as number[] }));
      for (const b of sites.get(site) ?? []) {
        if (b.second < first) continue;
        const at = steps[Math.floor((b.second - first) / step)];
        if (!at) continue; // the current second, or a partial last step
        at.requests += b.requests;
        at.errors += b.errors;
        at.clientErrors += b.clientErrors;
        for (const ms of b.latencies) at.lat.push(ms);
      }
      return steps.map(({ requests, errors, clientErrors, lat }, i) => {
        const point: SiteStatsPoint = { t: (first + i * step) * 1000, requests, errors, clientErrors };
        if (lat.length > 0) {
          lat.sort((a, b) => a - b);
          point.p50Ms = quantile(lat, 0.5);
          point.p99Ms = quantile(lat, 0.99);
        }
        return point;
      });
    },
  };
}

/**
 * Per-site stats of a router (its HTTP and HTTPS listeners alike; several routers may be
 * given). With `onSample` (router cluster workers) every request goes there instead of a
 * series of this process's own: the worker passes it on to the primary, which keeps the
 * series (its `series` stays empty).
 */
export function trackSiteStats(routers: FinishSource | readonly FinishSource[], now: () => number = Date.now, onSample?: (site: string, second: number, ms: number, outcome: Outcome) => void): SiteStats {
  const store = createSiteSeries(now);
  const onFinished = (site: string, status: number, ms: number, aborted: boolean) => {
    const second = Math.floor(now() / 1000);
    const outcome = outcomeOf(status, aborted);
    if (onSample) onSample(site, second, ms, outcome);
    else store.record(site, second, ms, outcome);
    siteRequests.inc([site, aborted ? 'aborted' : `${Math.floor(status / 100)}xx`]);
    siteRequestSeconds.observe([site], ms / 1000);
  };
  const stops = (Array.isArray(routers) ? routers : [routers]).map((r: FinishSource) => r.onFinished(onFinished));

  return {
    setRoutes(routes) {
      store.prune(new Set(routes.map((r) => r.site)));
    },
    updateRoutes(diff) {
      store.drop(droppedSites(diff));
    },
    series: store.series,
    close() {
      for (const stop of stops) stop();
      store.close();
    },
  };
}

function quantile(sorted: number[], q: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return Math.round((sorted[i] ?? 0) * 100) / 100;
}
