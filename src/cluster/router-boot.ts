// The router's workers, forked as early as a command can (the router cluster's primary
// alone is loaded here: src/router/cluster/primary.ts), so they load their code while the
// rest of the process loads (`corral up`: the farm; `corral router`: the node, joining the
// farm). router-part.ts takes the booting workers, or builds the router itself.
// Also what the router is built with and what it is once built, in either mode.

import { join, resolve } from 'node:path';
import type { Registry } from 'prom-client';
import type { Logger } from '../lib/log.ts';
import { bootRouterCluster } from '../router/cluster/primary.ts';
import type { CertificatePem, LoadSource, Router, RouterOptions, SiteStats } from '../router/follow.ts';

/**
 * Where a router keeps each site's access lines (<dir>/logs/router/<site id>/<process>.log),
 * always on, under its state folder: `corral up`'s, and `corral router`'s (served on its API).
 */
export function routerLogDir(dir: string): string {
  return join(resolve(dir), 'logs', 'router');
}

/** The router as built, in this process or in every worker. */
export interface RouterBuildOptions {
  /** Worker processes sharing the ports; 1 runs the router in this process. */
  workers: number;
  httpPort: number;
  host: string;
  /** Also serve HTTPS (HTTP/2 and HTTP/1.1) on this port; `cert` for names without a site certificate. */
  https?: { port: number; cert: CertificatePem };
  /** Count per-site figures (siteStats) and the router's metrics (registry()). */
  metrics: boolean;
  /** The proxies in front of the router: only they may pass X-Forwarded-* and Forwarded on. Default none. */
  trustedProxies?: readonly string[];
  /** Held requests per idle site and their longest wait; default the router's. */
  wake?: Pick<RouterOptions, 'wakeQueue' | 'wakeTimeoutMs'>;
  /** One JSON access line per proxied request (part "access"). */
  accessLog?: boolean;
  /** Each site's access lines in <siteLogDir>/<site>/<process>.log (`corral logs`). */
  siteLogDir?: string;
  /** At close, open requests get this long (default the router's, 10 s). */
  drainMs?: number;
}

/** The router either way, built but not listening yet: where routes and certificates go, its load and metrics. */
export interface BuiltRouter {
  /** The router, when it runs in this process. */
  router?: Router;
  sink: Pick<Router, 'setRoutes' | 'updateRoutes' | 'abandonEndpoints' | 'setCertificates'>;
  /** Its per-site load and wakes (publish-load.ts). */
  load: LoadSource;
  /** Per-site series (for the console's charts); only with `metrics`. */
  siteStats?: SiteStats;
  registry(): Registry;
  /** Listen (HTTP, then HTTPS when asked): only once the first table is in. */
  listen(): Promise<{ port: number; httpsPort?: number }>;
  /** Drain (drainMs) and stop; destroy cuts open connections at once. */
  close(): Promise<void>;
  destroy(): Promise<void>;
}

/** The router of `corral router` (router-node.ts RouterNodeOptions), as built; also for its early boot. */
export function nodeRouterBuild(opts: NodeRouterFlags): RouterBuildOptions {
  return {
    workers: opts.workers ?? 1, httpPort: opts.httpPort, host: opts.host, metrics: opts.metrics !== undefined,
    ...(opts.https ? { https: opts.https } : {}), ...(opts.trustedProxies ? { trustedProxies: opts.trustedProxies } : {}), ...(opts.wake ? { wake: opts.wake } : {}),
    ...(opts.dir !== undefined ? { siteLogDir: routerLogDir(opts.dir) } : {}),
  };
}

/** The router node's options (router-node.ts RouterNodeOptions) its router is built from. */
export interface NodeRouterFlags extends Pick<RouterBuildOptions, 'httpPort' | 'host' | 'https' | 'trustedProxies' | 'wake'> {
  /** Default 1: in this process. */
  workers?: number;
  /** A /metrics listener: the router then counts its metrics. */
  metrics?: object;
  /** The node's state folder: each site's access lines go to routerLogDir(dir). Absent: none are kept. */
  dir?: string;
}

/** Fork o.workers router workers, booted but not listening; their primary is the router. */
export async function bootRouterWorkers(o: RouterBuildOptions, log: Logger): Promise<BuiltRouter> {
  const rc = await bootRouterCluster({
    workers: o.workers, listen: { port: o.httpPort, host: o.host },
    ...(o.https ? { httpsListen: { port: o.https.port, host: o.host } } : {}),
    router: {
      metrics: o.metrics, trustedProxies: o.trustedProxies ?? [], ...o.wake, tls: o.https?.cert ?? null,
      ...(o.accessLog !== undefined ? { accessLog: o.accessLog } : {}), ...(o.siteLogDir !== undefined ? { siteLogDir: o.siteLogDir } : {}),
    },
    log,
  });
  return {
    sink: rc, load: rc, siteStats: rc.siteStats, registry: () => rc.metricsRegistry(),
    async listen() {
      await rc.listen(); // every worker starts with the table and certificates set so far
      return { port: rc.port, ...(rc.httpsPort !== undefined ? { httpsPort: rc.httpsPort } : {}) };
    },
    close: () => rc.close(o.drainMs),
    destroy: () => rc.close(0),
  };
}
