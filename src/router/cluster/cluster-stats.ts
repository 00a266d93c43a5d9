// The router cluster's figures in the primary: each worker reports every REPORT_MS its
// per-site samples since the last report and what its request series moved (series.ts
// drainChanges: counters' and histograms' increments, gauges' values); the primary adds
// the samples into one SiteSeries (the console's charts), the increments into one total
// per label set, and keeps each worker's gauges, summed on each scrape (/metrics). A worker
// that dies leaves its counts in the total, so they never go back; its gauges leave.

import type { Registry } from 'prom-client';
import type { Route } from '../../model/index.ts';
import { requestSeriesSpecs } from '../request-series.ts';
import { droppedSites } from '../route-table.ts';
import { addInto, keepSites, keyOf, sumEntries, type SeriesChanges, type SeriesValues } from '../series.ts';
import { SeriesRegistry } from '../series-registry.ts';
import { createSiteSeries, type SiteStats, type SiteStatsSample } from '../site-stats.ts';

export interface ClusterStats {
  /** Per-site series over every worker (setRoutes prunes removed sites; close stops its sweep). */
  readonly siteStats: SiteStats;
  /** Every worker's request series, summed on each read (the same registry every call). */
  metricsRegistry(): Registry;
  /** A worker's report: its samples since the last one, and what its series moved (increments; gauges' values). */
  report(worker: number, sites: Record<string, SiteStatsSample[]>, series?: SeriesChanges): void;
  /** A worker is gone: its counters and histograms stay in the total (they never go back), its gauges leave it. */
  retire(worker: number): void;
}

type FamilyValues = Map<string, SeriesValues>; // family name → label sets

export function createClusterStats(now: () => number = Date.now): ClusterStats {
  const series = createSiteSeries(now);
  const totals: FamilyValues = new Map(); // counters and histograms, every worker's, dead ones' too
  const gauges = new Map<number, FamilyValues>(); // each live worker's gauges
  const isGauge = (name: string) => requestSeriesSpecs.get(name)?.kind === 'gauge';
  const none: SeriesValues = new Map();
  const registry = new SeriesRegistry([...requestSeriesSpecs.values()].map((spec) => ({
    spec,
    read: () => (spec.kind === 'gauge' ? sumEntries([...gauges.values()].map((f) => f.get(spec.name) ?? none)) : (totals.get(spec.name) ?? none)),
  })));
  const keep = (site: (name: string) => boolean) => {
    for (const families of [totals, ...gauges.values()]) {
      for (const [name, values] of families) keepSites(values, requestSeriesSpecs.get(name)?.labelNames.length ?? 0, site);
    }
  };
  const familyOf = (families: FamilyValues, name: string): SeriesValues => {
    let values = families.get(name);
    if (!values) families.set(name, (values = new Map()));
    return values;
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
      for (const [name, entries] of Object.entries(changes)) {
        if (!requestSeriesSpecs.has(name)) continue; // a series this primary does not know
        if (isGauge(name)) {
          let families = gauges.get(worker);
          if (!families) gauges.set(worker, (families = new Map()));
          const values = familyOf(families, name);
          for (const [labels, v] of entries) values.set(keyOf(labels), v);
        } else {
          const values = familyOf(totals, name);
          for (const [labels, v] of entries) addInto(values, keyOf(labels), v);
        }
      }
    },
    retire(worker) {
      gauges.delete(worker);
    },
  };
}
