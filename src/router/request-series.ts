// The router's per-request series, per site and endpoint, recorded per proxied request when
// RouterOptions.metrics is on (the site series by site-stats.ts) and kept compact
// (series.ts): a cluster worker sends its primary only the label sets that changed
// (cluster-stats.ts). No prom-client here: a router worker does not load it; the
// processes that serve /metrics read these families through metrics.ts.

import type { Socket } from 'node:net';
import { SeriesFamily, type SeriesSpec } from './series.ts';

const upstreamRequests = new SeriesFamily({
  name: 'corral_router_upstream_requests_total',
  help: 'Requests the router forwarded to the site\'s endpoints, per site and the endpoint of the last try, by status class ("cut" when cut off, "none" when no endpoint was tried); the router\'s own answers count in corral_site_requests_total.',
  kind: 'counter',
  labelNames: ['site', 'endpoint', 'code'],
});
const upstreamSeconds = new SeriesFamily({
  name: 'corral_router_upstream_duration_seconds',
  help: "Time from dispatching the last try to the end of the response, per site and endpoint.",
  kind: 'histogram',
  labelNames: ['site', 'endpoint'],
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
});
const retries = new SeriesFamily({
  name: 'corral_router_retries_total',
  help: 'Tries beyond the first, per site (a failed endpoint, then another).',
  kind: 'counter',
  labelNames: ['site'],
});
const budgetExhausted = new SeriesFamily({
  name: 'corral_router_retry_budget_exhausted_total',
  help: "Failed tries that could have been retried but were answered (502/504) because the site's retry budget was spent.",
  kind: 'counter',
  labelNames: ['site'],
});
const siteBusy = new SeriesFamily({
  name: 'corral_router_site_busy_total',
  help: 'Requests answered 503 ROUTER_SITE_BUSY, per site: every server of the site had its most requests in flight (endpointMaxInFlight, pooled static sites) and the wait was full ("queue-full") or ran out ("timeout").',
  kind: 'counter',
  labelNames: ['site', 'reason'],
});
const siteBusyWaiting = new SeriesFamily({
  name: 'corral_router_site_busy_waiting',
  help: 'Requests waiting at the router for a server of their site to end a request (endpointMaxInFlight), per site.',
  kind: 'gauge',
  labelNames: ['site'],
});
const activeConnections = new SeriesFamily({
  name: 'corral_router_active_connections',
  help: 'Client connections open on the router (HTTP and HTTPS, all sites).',
  kind: 'gauge',
  labelNames: [],
});
/** Per-site series for the console's charts' totals (site-stats.ts records them). */
export const siteRequests = new SeriesFamily({
  name: 'corral_site_requests_total',
  help: 'Requests the router answered per site, by status class (2xx, 3xx, 4xx, 5xx; "aborted" when cut off).',
  kind: 'counter',
  labelNames: ['site', 'code'],
});
export const siteRequestSeconds = new SeriesFamily({
  name: 'corral_site_request_duration_seconds',
  help: 'Time from request to the end of the response, per site.',
  kind: 'histogram',
  labelNames: ['site'],
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
});

/** Every series a router process records per request: what a cluster worker reports (series.ts drainChanges). */
export const requestFamilies: readonly SeriesFamily[] = [upstreamRequests, upstreamSeconds, retries, budgetExhausted, siteBusy, siteBusyWaiting, activeConnections, siteRequests, siteRequestSeconds];
/** Their specs by name, for the primary that sums its workers' (cluster-stats.ts). */
export const requestSeriesSpecs: ReadonlyMap<string, SeriesSpec> = new Map(requestFamilies.map((f) => [f.spec.name, f.spec]));

/** Count a listener's open client connections in corral_router_active_connections. */
export function trackConnections(server: { on(event: 'connection', listener: (socket: Socket) => void): unknown }): void {
  server.on('connection', (socket) => {
    activeConnections.inc([]);
    socket.once('close', () => activeConnections.inc([], -1));
  });
}

export function recordRequest(site: string, endpoint: string | undefined, status: number, complete: boolean, upstreamSeconds_: number | undefined, tries: number): void {
  const ep = endpoint ?? 'none';
  const code = !complete ? 'cut' : `${Math.floor(status / 100)}xx`;
  upstreamRequests.inc([site, ep, code]);
  if (upstreamSeconds_ !== undefined && endpoint !== undefined) upstreamSeconds.observe([site, endpoint], upstreamSeconds_);
  if (tries > 1) retries.inc([site], tries - 1);
}

/** A retry refused by the site's retry budget (retry-budget.ts). */
export function recordRetryBudgetExhausted(site: string): void {
  budgetExhausted.inc([site]);
}

/** A request of a site whose servers are all at their cap: it starts waiting (+1), stops (-1), or is answered 503 (reason). */
export function recordSiteBusy(site: string, change: { waiting: 1 | -1 } | { refused: 'queue-full' | 'timeout' }): void {
  if ('waiting' in change) siteBusyWaiting.inc([site], change.waiting);
  else siteBusy.inc([site, change.refused]);
}

/** Keep the request series of these sites only: a site no longer routed has its series end. */
export function retainSiteSeries(sites: ReadonlySet<string>): void {
  for (const f of requestFamilies) f.keepSites((site) => sites.has(site));
}
