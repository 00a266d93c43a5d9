// The router part without its request path: what a process needs to feed and follow
// routers it does not run itself (a router node's primary, whose workers serve) — the
// store watches, the load records, the metrics registries, the site series, the worker
// cluster. index.ts is this and buildRouter (router.ts: the fronts, upstreams and
// policies), which a primary never loads: ≈ 2 MB of its RSS. An assembly that may run
// the router in process loads index.ts on demand (src/cluster/router-part.ts).
export type { Router } from './router.ts';
export type { RouterOptions } from './options.ts';
export { watchRoutes, type RouteSink, type RouteWatch } from './watch-routes.ts';
export { watchCertificates } from './watch-certificates.ts';
export { watchPrefix, type PrefixWatch } from './watch-prefix.ts';
export type { CertificatePem, SiteCertificate } from './front/tls-certificates.ts';
export { buildRouteTable, normalizeHost, type RouteTable, type RouteDiff } from './route-table.ts';
export * from './errors.ts';
export { bootRouterCluster, startRouterCluster, type BootedRouterCluster, type RouterCluster, type RouterClusterOptions } from './cluster/cluster.ts';
export { trackSiteStats, type SiteStats } from './site-stats.ts';
export { routerMetricsRegistry, routerStoreMetricsRegistry } from './metrics.ts';
export { mergedRegistry } from './series-registry.ts';
export { parseTrustedProxies, trustedProxyError } from './policy/trusted-proxies.ts';
export { publishLoad, type LoadSource, type PublishLoadOptions } from './publish-load.ts';
export { SiteLoad, sumLoad, type LoadReport } from './site-load.ts';
