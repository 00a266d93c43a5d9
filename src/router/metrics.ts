// Prometheus series per site and endpoint, for `corral up`'s /metrics (merged in
// src/cli/farm-metrics.ts). Recorded per proxied request when RouterOptions.metrics is
// on; workers of a cluster send these values to the primary (cluster-stats.ts).

import type { Socket } from 'node:net';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export const routerMetricsRegistry = new Registry();

const upstreamRequests = new Counter({
  name: 'corral_router_upstream_requests_total',
  help: 'Requests the router answered, per site and the endpoint of the last try, by status class ("cut" when cut off, "none" when no endpoint was tried).',
  labelNames: ['site', 'endpoint', 'code'] as const,
  registers: [routerMetricsRegistry],
});
const upstreamSeconds = new Histogram({
  name: 'corral_router_upstream_duration_seconds',
  help: "Time from dispatching the last try to the end of the response, per site and endpoint.",
  labelNames: ['site', 'endpoint'] as const,
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [routerMetricsRegistry],
});
const retries = new Counter({
  name: 'corral_router_retries_total',
  help: 'Tries beyond the first, per site (a failed endpoint, then another).',
  labelNames: ['site'] as const,
  registers: [routerMetricsRegistry],
});
const budgetExhausted = new Counter({
  name: 'corral_router_retry_budget_exhausted_total',
  help: "Failed tries that could have been retried but were answered (502/504) because the site's retry budget was spent.",
  labelNames: ['site'] as const,
  registers: [routerMetricsRegistry],
});

const activeConnections = new Gauge({
  name: 'corral_router_active_connections',
  help: 'Client connections open on the router (HTTP and HTTPS, all sites).',
  registers: [routerMetricsRegistry],
});

/** Count a listener's open client connections in corral_router_active_connections. */
export function trackConnections(server: { on(event: 'connection', listener: (socket: Socket) => void): unknown }): void {
  server.on('connection', (socket) => {
    activeConnections.inc();
    socket.once('close', () => activeConnections.dec());
  });
}

export function recordRequest(site: string, endpoint: string | undefined, status: number, complete: boolean, upstreamSeconds_: number | undefined, tries: number): void {
  const ep = endpoint ?? 'none';
  const code = !complete ? 'cut' : `${Math.floor(status / 100)}xx`;
  upstreamRequests.inc({ site, endpoint: ep, code });
  if (upstreamSeconds_ !== undefined && endpoint !== undefined) upstreamSeconds.observe({ site, endpoint }, upstreamSeconds_);
  if (tries > 1) retries.inc({ site }, tries - 1);
}

/** A retry refused by the site's retry budget (retry-budget.ts). */
export function recordRetryBudgetExhausted(site: string): void {
  budgetExhausted.inc({ site });
}

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
