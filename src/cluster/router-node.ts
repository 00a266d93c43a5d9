// `corral router --join <controller-url> --token <join-token>`: a router of a farm on
// etcd. It joins for the store's endpoints and watches the published routes there, so
// it keeps routing while controllers come and go; live-endpoints.ts drops an endpoint
// the moment its VS status or its engine's registration goes, before the reconciler.
// With `https` it also serves HTTPS (site certificates from the store's certificates/,
// the given default certificate for other names); with `workers` > 1 it runs as a
// primary and worker processes sharing the ports (src/router/cluster.ts).

import { listenOn } from '../lib/listen.ts';
import { Registry } from 'prom-client';
import {
  buildRouter, routerMetricsRegistry, routerStoreMetricsRegistry, siteStatsRegistry, startRouterCluster, trackSiteStats, watchCertificates, watchRoutes,
  type CertificatePem, type Router, type RouterCluster, type SiteStats,
} from '../router/index.ts';
import { logger, type Logger } from '../lib/log.ts';
import { openEtcdStore, type Store } from '../store/index.ts';
import { joinFarm } from './join.ts';
import { liveEndpoints } from './live-endpoints.ts';
import { startMetricsServer, type MetricsListen, type MetricsServer } from './metrics-server.ts';

export interface RouterNodeOptions {
  join: string;
  token: string;
  id: string;
  httpPort: number;
  host: string;
  /** Also serve HTTPS (HTTP/2 and HTTP/1.1) on this port with this default certificate; site certificates come from the store. */
  https?: { port: number; cert: CertificatePem };
  /** Router worker processes sharing the ports; 1 (default) runs the router in this process. `corral router` passes one per core. */
  workers?: number;
  /** Serve GET /metrics (router and per-site series) on this listener; default none. */
  metrics?: MetricsListen;
  /** The proxies in front of this router (addresses, CIDR blocks): only they may pass X-Forwarded-* and Forwarded on. Default none. */
  trustedProxies?: readonly string[];
  log?: Logger;
}

export interface RouterNode {
  url: string;
  /** The HTTPS URL when `https` was given. */
  httpsUrl?: string;
  /** The /metrics URL when `metrics` was given. */
  metricsUrl?: string;
  /** The router, when it runs in this process (workers: 1). */
  router?: Router;
  store: Store;
  close(): Promise<void>;
}

/** The running router either way: its ports, where routes and certificates go, its metrics. */
interface Running {
  port: number;
  httpsPort?: number;
  router?: Router;
  sink: Pick<Router, 'setRoutes' | 'setCertificates'>;
  registry(): Registry;
  close(): Promise<void>;
  destroy(): Promise<void>;
}

export async function startRouterNode(opts: RouterNodeOptions): Promise<RouterNode> {
  const log = opts.log ?? logger('router');
  const joined = await joinFarm(opts.join, opts.token, 'router', opts.id);
  const store = await openEtcdStore(joined.store.endpoints, joined.store.namespace ? { namespace: joined.store.namespace } : {});
  const stops: Array<() => void> = [];
  let running: Running | undefined;
  let metrics: MetricsServer | undefined;
  try {
    running = (opts.workers ?? 1) > 1 ? await startWorkers(opts, log) : await startInProcess(opts, log);
    const r = running;
    if (opts.metrics) metrics = await startMetricsServer(() => r.registry(), opts.metrics, log);
    const live = await liveEndpoints(store, r.sink, log);
    stops.push(() => live.close());
    stops.push(await watchRoutes(store, live, log));
    if (opts.https) stops.push(await watchCertificates(store, r.sink, log));
    const urlHost = opts.host === '0.0.0.0' ? '127.0.0.1' : opts.host;
    let closed = false;
    return {
      url: `http://${urlHost}:${r.port}`, store,
      ...(r.httpsPort !== undefined ? { httpsUrl: `https://${urlHost}:${r.httpsPort}` } : {}),
      ...(r.router ? { router: r.router } : {}),
      ...(metrics ? { metricsUrl: metrics.url } : {}),
      async close() {
        if (closed) return;
        closed = true;
        stops.forEach((stop) => stop());
        await r.close();
        await metrics?.close();
        await store.close();
      },
    };
  } catch (err) {
    stops.forEach((stop) => stop());
    await running?.destroy();
    await metrics?.close();
    await store.close();
    throw err;
  }
}

async function startInProcess(opts: RouterNodeOptions, log: Logger): Promise<Running> {
  const router = buildRouter({ log, metrics: opts.metrics !== undefined, trustedProxies: opts.trustedProxies ?? [], tls: opts.https?.cert ?? null });
  const stats: SiteStats | undefined = opts.metrics ? trackSiteStats([router.server, router.tlsServer]) : undefined;
  const registry = Registry.merge([siteStatsRegistry, routerMetricsRegistry, routerStoreMetricsRegistry]);
  const stop = async (how: 'close' | 'destroy') => {
    await router[how]();
    stats?.close();
  };
  try {
    const port = await listenOn(router.server, opts.httpPort, opts.host);
    const httpsPort = opts.https && router.tlsServer ? await listenOn(router.tlsServer, opts.https.port, opts.host) : undefined;
    return {
      port, ...(httpsPort !== undefined ? { httpsPort } : {}), router,
      sink: { setRoutes: (routes) => { router.setRoutes(routes); stats?.setRoutes(routes); }, setCertificates: (certs) => router.setCertificates(certs) },
      registry: () => registry,
      close: () => stop('close'),
      destroy: () => stop('destroy'),
    };
  } catch (err) {
    await stop('destroy');
    throw err;
  }
}

async function startWorkers(opts: RouterNodeOptions, log: Logger): Promise<Running> {
  const rc: RouterCluster = await startRouterCluster({
    workers: opts.workers, listen: { port: opts.httpPort, host: opts.host },
    ...(opts.https ? { httpsListen: { port: opts.https.port, host: opts.host } } : {}),
    router: { metrics: opts.metrics !== undefined, trustedProxies: opts.trustedProxies ?? [], tls: opts.https?.cert ?? null }, log,
  });
  return {
    port: rc.port, ...(rc.httpsPort !== undefined ? { httpsPort: rc.httpsPort } : {}),
    sink: rc, registry: () => rc.metricsRegistry(),
    close: () => rc.close(),
    destroy: () => rc.close(0),
  };
}
