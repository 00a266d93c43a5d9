// The router part: the HTTP front door (Host → site → endpoints). See README.md.
export { buildRouter, type Router } from './router.ts';
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
