// The router cluster's primary alone: what a process needs to fork and lead its router
// workers (src/router/cluster.ts), loaded in ≈ 0.1 s where the whole router (index.ts)
// takes ≈ 0.5 s — so `corral router` forks its workers first and loads the rest while
// they boot.
export { bootRouterCluster, type BootedRouterCluster, type RouterClusterOptions } from './cluster.ts';
