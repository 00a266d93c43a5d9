// The router of `corral up`: in this process (one worker) or as a primary and N worker
// processes sharing the HTTP and HTTPS ports (src/router/cluster/cluster.ts). Either way it
// follows routes/ and certificates/ in the store, serves HTTPS with the self-signed dev
// certificate (dev-cert.ts) for names without a site certificate, and gives the farm its
// per-site figures and metrics. Workers take a second or so to load their code, so
// `corral up` boots them (bootFarmRouterWorkers) before it loads the rest of the farm;
// they listen only when the farm reaches the router step.

import { listenOn } from '../lib/listen.ts';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import type { Registry } from 'prom-client';
import { bootRouterCluster, buildRouter, publishLoad, trackSiteStats, watchCertificates, watchRoutes, type BootedRouterCluster, type RouterOptions, type SiteStats } from '../router/index.ts';
import type { Store } from '../store/index.ts';
import { logger, type Logger } from '../lib/log.ts';
import { urlHost } from '../lib/url-host.ts';
import { ensureDevCertificate } from './dev-cert.ts';

export interface FarmRouterOptions {
  dir: string;
  /** 1 runs the router in this process. */
  workers: number;
  httpPort: number;
  /** Absent: no HTTPS. */
  httpsPort?: number;
  host: string;
  accessLog: boolean;
  /** The proxies in front of the router (router option trustedProxies). */
  trustedProxies: readonly string[];
  /** Held requests per idle site and their longest wait (router options wakeQueue, wakeTimeoutMs). */
  wake: Pick<RouterOptions, 'wakeQueue' | 'wakeTimeoutMs'>;
  log: Logger;
  accessLogger: () => Logger;
}

export interface FarmRouter {
  url: string;
  httpsUrl?: string;
  siteStats: SiteStats;
  /** The workers' registries summed; undefined when the router runs in this process. */
  metricsRegistry?: () => Registry;
  close(): Promise<void>;
}

/** The router's id in the store (its load record, keys.routerLoad; its registration, keys.router). */
export const FARM_ROUTER_ID = 'local';

/** Ctrl-C: open requests get this long to finish, then connections are cut (the farm's stop budget, farm.ts). */
export const STOP_DRAIN_MS = 1_000;

/** Where the router keeps each site's access lines (<dir>/logs/router/<site>/<process>.log), always on: `corral logs` reads them. */
export function routerLogDir(dir: string): string {
  return join(resolve(dir), 'logs', 'router');
}

/** The farm's options (farm.ts FarmOptions) the router is started with; declared here so this module needs nothing of farm.ts. */
export interface FarmRouterFlags {
  httpPort: number;
  host: string;
  httpsPort?: number;
  routerWorkers?: number;
  accessLog?: boolean;
  trustedProxies?: readonly string[];
  wake?: Pick<RouterOptions, 'wakeQueue' | 'wakeTimeoutMs'>;
  log?: Logger;
}

/** What the router of the farm is started with (also for bootFarmRouterWorkers before the farm starts). */
export function farmRouterOptions(dir: string, opts: FarmRouterFlags, partLog: (part: string) => Logger = (part) => (opts.log ? opts.log.child({ part }) : logger(part))): FarmRouterOptions {
  return {
    dir: resolve(dir), workers: opts.routerWorkers ?? availableParallelism(), httpPort: opts.httpPort, host: opts.host,
    ...(opts.httpsPort !== undefined ? { httpsPort: opts.httpsPort } : {}),
    accessLog: opts.accessLog === true, trustedProxies: opts.trustedProxies ?? [], wake: opts.wake ?? {}, log: partLog('router'), accessLogger: () => partLog('access'),
  };
}

/** Fork and boot the workers (not listening yet); undefined for one worker (in-process). */
export function bootFarmRouterWorkers(o: FarmRouterOptions): Promise<BootedRouterCluster> | undefined {
  if (o.workers < 2) return undefined;
  return (async () => {
    const devCert = o.httpsPort !== undefined ? await ensureDevCertificate(o.dir) : undefined;
    return bootRouterCluster({
      workers: o.workers,
      listen: { port: o.httpPort, host: o.host },
      ...(devCert ? { httpsListen: { port: o.httpsPort!, host: o.host } } : {}),
      router: { accessLog: o.accessLog, siteLogDir: routerLogDir(o.dir), metrics: true, trustedProxies: o.trustedProxies, ...o.wake, tls: devCert ? { cert: devCert.cert, key: devCert.key } : null },
      log: o.log,
    });
  })();
}

/** Follow the store and listen; `booted` is what bootFarmRouterWorkers started (the router then owns it). */
export async function startFarmRouter(store: Store, o: FarmRouterOptions, booted = bootFarmRouterWorkers(o)): Promise<FarmRouter> {
  return booted ? startWorkers(store, o, await booted) : startInProcess(store, o);
}

async function startWorkers(store: Store, o: FarmRouterOptions, rc: BootedRouterCluster): Promise<FarmRouter> {
  const stops: Array<() => void> = [];
  try {
    // table and certificates first: the workers start with them (no moment of 404s)
    stops.push(await watchRoutes(store, rc, o.log));
    if (rc.httpsPort !== undefined) stops.push(await watchCertificates(store, rc, o.log));
    stops.push(publishLoad(store, rc, { id: FARM_ROUTER_ID, log: o.log }));
    await rc.listen();
  } catch (err) {
    stops.forEach((stop) => stop());
    await rc.close();
    throw err;
  }
  return {
    url: `http://${urlHost(o.host)}:${rc.port}`,
    ...(rc.httpsPort !== undefined ? { httpsUrl: `https://${urlHost(o.host)}:${rc.httpsPort}` } : {}),
    siteStats: rc.siteStats,
    metricsRegistry: () => rc.metricsRegistry(),
    close: async () => {
      stops.forEach((stop) => stop());
      await rc.close(STOP_DRAIN_MS);
    },
  };
}

async function startInProcess(store: Store, o: FarmRouterOptions): Promise<FarmRouter> {
  const devCert = o.httpsPort !== undefined ? await ensureDevCertificate(o.dir) : undefined;
  const router = buildRouter({ log: o.log, accessLog: o.accessLog ? o.accessLogger() : null, siteLogDir: routerLogDir(o.dir), drainTimeoutMs: STOP_DRAIN_MS, metrics: true, trustedProxies: o.trustedProxies, ...o.wake, tls: devCert ? { cert: devCert.cert, key: devCert.key } : null });
  const stats = trackSiteStats(router);
  const stops: Array<() => void> = [];
  const close = async () => {
    stops.forEach((stop) => stop());
    await router.close();
    stats.close();
  };
  try {
    stops.push(await watchRoutes(store, {
      setRoutes: (routes) => { router.setRoutes(routes); stats.setRoutes(routes); },
      updateRoutes: (diff) => { router.updateRoutes(diff); stats.updateRoutes(diff); },
    }, o.log));
    stops.push(publishLoad(store, router, { id: FARM_ROUTER_ID, log: o.log }));
    const port = await listenOn(router.server, o.httpPort, o.host);
    let httpsUrl: string | undefined;
    if (router.tlsServer && o.httpsPort !== undefined) {
      stops.push(await watchCertificates(store, router, o.log));
      httpsUrl = `https://${urlHost(o.host)}:${await listenOn(router.tlsServer, o.httpsPort, o.host)}`;
    }
    return { url: `http://${urlHost(o.host)}:${port}`, ...(httpsUrl ? { httpsUrl } : {}), siteStats: stats, close };
  } catch (err) {
    await close();
    throw err;
  }
}
