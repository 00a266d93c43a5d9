// The router cluster's figures in the primary: each worker reports every REPORT_MS its
// per-site samples since the last report and the label sets of its request series that
// changed (series.ts: their values so far, so a report carries what moved, not every
// site's series); the primary adds the samples into one SiteSeries (the console's charts)
// and keeps each worker's latest values, summed on each scrape (/metrics). A worker that
// dies leaves its counters and histograms in a retired total, so they never go back.

import type { Registry } from 'prom-client';
import type { Route } from '../../model/index.ts';
import { requestSeriesSpecs } from '../request-series.ts';
import { droppedSites } from '../route-table.ts';
import { keepSites, keyOf, sumEntries, type SeriesChanges, type SeriesValues } from '../series.ts';
import { SeriesRegistry } from '../series-registry.ts';
import { createSiteSeries, type SiteStats, type SiteStatsSample } from '../site-stats.ts';

export interface ClusterStats {
  /** Per-site series over every worker (setRoutes prunes removed sites; close stops its sweep). */
  readonly siteStats: SiteStats;
  /** Every worker's request series, summed on each read (the same registry every call). */
  metricsRegistry(): Registry;
  /** A worker's report: its samples since the last one, and its series that changed (their values so far). */
  report(worker: number, sites: Record<string, SiteStatsSample[]>, series?: SeriesChanges): void;
  /** A worker is gone: its counters and histograms stay in the total (they never go back), its gauges leave it. */
  retire(worker: number): void;
}

type FamilyValues = Map<string, SeriesValues>; // family name → label sets

export function createClusterStats(now: () => number = Date.now): ClusterStats {
  const series = createSiteSeries(now);
  const latest = new Map<number, FamilyValues>();
  const retired: FamilyValues = new Map();
  const registry = new SeriesRegistry([...requestSeriesSpecs.values()].map((spec) => ({ spec, read: () => sumEntries([retired, ...latest.values()].map((f) => f.get(spec.name) ?? new Map())) })));
  const keep = (site: (name: string) => boolean) => {
    for (const families of [retired, ...latest.values()]) {
      for (const [name, values] of families) keepSites(values, requestSeriesSpecs.get(name)?.labelNames.length ?? 0, site);
    }
  };
  return {
    siteStats: {
      setRoutes: (routes: readonly Route[]) => {
        const live = new Set(routes.map((r) => r.site));
        series.prune(live);
        keep((site) => live.has(site));
      },
      updateRoutes: (diff) => {
        const gone = droppedSites(diff);
        series.drop(gone);
        if (gone.length === 0) return;
        const dropped = new Set(gone);
        keep((site) => !dropped.has(site));
      },
      series: series.series,
      close: () => series.close(),
    },
    metricsRegistry: () => registry,
    report(worker, sites, changes) {
      for (const [site, samples] of Object.entries(sites)) for (const s of samples) series.add(site, s);
      if (!changes) return;
      let families = latest.get(worker);
      if (!families) latest.set(worker, (families = new Map()));
      for (const [name, entries] of Object.entries(changes)) {
        if (!requestSeriesSpecs.has(name)) continue; // a series this primary does not know
        let values = families.get(name);
        if (!values) families.set(name, (values = new Map()));
        for (const [labels, v] of entries) values.set(keyOf(labels), v);
      }
    },
    retire(worker) {
      const last = latest.get(worker);
      latest.delete(worker);
      for (const [name, values] of last ?? []) {
        if (requestSeriesSpecs.get(name)?.kind === 'gauge') continue;
        retired.set(name, sumEntries([retired.get(name) ?? new Map(), values]));
      }
    },
  };
}
