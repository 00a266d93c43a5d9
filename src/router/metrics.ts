// The router's Prometheus registries, for `corral up`'s /metrics (merged in
// src/cli/farm-metrics.ts) and a router node's: this process's request series
// (request-series.ts, read on each scrape) and the series of the process that reads the
// store. A cluster's primary serves its workers' sums instead (cluster-stats.ts).

import { Counter, Registry } from 'prom-client';
import { requestFamilies } from './request-series.ts';
import { SeriesRegistry } from './series-registry.ts';

/** This process's request series as prom-client reads them (`corral up` with the router in process, tests). */
export const routerMetricsRegistry: Registry = new SeriesRegistry(requestFamilies.map((f) => ({ spec: f.spec, read: () => f.values })));

/**
 * Series of the process that reads the store (a cluster's primary, or the one router), apart
 * from the per-request ones a cluster sums from its workers: `corral up`'s /metrics and the
 * router node's merge it in (cluster.ts metricsRegistry, src/cli/farm-metrics.ts).
 */
export const routerStoreMetricsRegistry = new Registry();

const badRecords = new Counter({
  name: 'corral_router_bad_records_total',
  help: 'Store records the router skipped because it cannot use them (a route failing its schema), per kind and site; the other sites are served.',
  labelNames: ['kind', 'site'] as const,
  registers: [routerStoreMetricsRegistry],
});

/** A record skipped by watch-routes.ts. */
export function recordBadRecord(kind: 'route', site: string): void {
  badRecords.inc({ kind, site });
}
