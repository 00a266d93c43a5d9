// The router cluster's figures in the primary: each worker reports every REPORT_MS its
// per-site samples since the last report and its metric values (prom-client JSON); the
// primary adds the samples into one SiteSeries (the console's charts) and sums the
// latest values of every worker with prom-client's AggregatorRegistry (/metrics). A
// worker that dies leaves its last values in a retired total, so counters never go back.

import { AggregatorRegistry, type Registry } from 'prom-client';
import type { Route } from '../../model/index.ts';
import { droppedSites } from '../route-table.ts';
import { createSiteSeries, type SiteStats, type SiteStatsSample } from '../site-stats.ts';

export const REPORT_MS = 1_000;
/** How often each worker reports its per-site load (site-load.ts) to the primary. */
export const LOAD_MS = 1_000;

/** prom-client's getMetricsAsJSON() of one registry: what crosses the IPC. */
export type MetricsJson = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

/** Reports that go by without a worker reading its metrics while no request ended (≤ 10 s late for a figure that moves without requests). */
export const IDLE_METRICS_EVERY = 10;

/**
 * A worker's side: the metric values to send with a report, or undefined when the primary
 * keeps the last ones sent. They are read (and sent) when requests ended since the last
 * report, every IDLE_METRICS_EVERY reports otherwise, and when `last` (the report after
 * the drain): an idle worker with thousands of sites no longer sends them every second.
 */
export function metricsReporter(read: () => Promise<MetricsJson>): (busy: boolean, last?: boolean) => Promise<MetricsJson | undefined> {
  let idle = IDLE_METRICS_EVERY; // the first report carries them
  return async (busy, last = false) => {
    if (!busy && !last && ++idle < IDLE_METRICS_EVERY) return undefined;
    idle = 0;
    return read();
  };
}

export interface ClusterStats {
  /** Per-site series over every worker (setRoutes prunes removed sites; close is a no-op). */
  readonly siteStats: SiteStats;
  /** A fresh registry: every worker's router and site metrics, summed. */
  metricsRegistry(): Registry;
  /** A worker's report; without `metrics` its last ones stand. */
  report(worker: number, sites: Record<string, SiteStatsSample[]>, metrics?: MetricsJson): void;
  retire(worker: number): void;
}

export function createClusterStats(now: () => number = Date.now): ClusterStats {
  const series = createSiteSeries(now);
  const latest = new Map<number, MetricsJson>();
  const dying = new Set<MetricsJson>(); // retired, not folded yet
  let retired: MetricsJson = [];
  let folding = Promise.resolve();
  const aggregate = (all: MetricsJson[]): Registry => AggregatorRegistry.aggregate(all);
  return {
    siteStats: {
      setRoutes: (routes: readonly Route[]) => series.prune(new Set(routes.map((r) => r.site))),
      updateRoutes: (diff) => series.drop(droppedSites(diff)),
      series: series.series,
      close: () => {},
    },
    metricsRegistry: () => aggregate([retired, ...dying, ...latest.values()]),
    report(worker, sites, metrics) {
      for (const [site, samples] of Object.entries(sites)) for (const s of samples) series.add(site, s);
      if (metrics) latest.set(worker, metrics);
    },
    retire(worker) {
      const last = latest.get(worker);
      latest.delete(worker);
      if (!last) return;
      dying.add(last);
      // fold into one JSON, one at a time, so restarts do not grow the list
      folding = folding.then(async () => {
        retired = await aggregate([retired, last]).getMetricsAsJSON();
        dying.delete(last);
      });
    },
  };
}
