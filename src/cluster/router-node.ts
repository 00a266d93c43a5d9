// `corral router --join <controller-url> --token <join-token>`: a router of a farm on
// etcd. It joins for the store's endpoints and watches the published routes there, so
// it keeps routing while controllers come and go; live-endpoints.ts drops an endpoint
// the moment its VS status or its engine's registration goes, before the reconciler.
// With `https` it also serves HTTPS (site certificates from the store's certificates/,
// the given default certificate for other names); with `workers` > 1 it runs as a
// primary and worker processes sharing the ports (src/router/cluster/cluster.ts), booted while
// it joins. It listens only once the first full route table is in: a known site is
// never answered 404 "No site is configured" by a router that has just started.

import { listenOn } from '../lib/listen.ts';
import { Registry } from 'prom-client';
import {
  buildRouter, publishLoad, routerMetricsRegistry, routerStoreMetricsRegistry, siteStatsRegistry, trackSiteStats, watchCertificates, watchRoutes,
  type CertificatePem, type Router, type RouterOptions, type SiteStats,
} from '../router/index.ts';
import { logger, type Logger } from '../lib/log.ts';
import { createShutdownStack } from '../lib/shutdown-stack.ts';
import { openEtcdStore, type Store } from '../store/index.ts';
import { joinFarm } from './join.ts';
import { bootWorkers, type BuiltRouter } from './router-boot.ts';
import { register } from './registration.ts';
import { keys, type RouterRecord } from '../model/index.ts';
import { liveEndpoints } from './live-endpoints.ts';
import { startMetricsServer, type MetricsListen } from './metrics-server.ts';

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
  /** Held requests per idle site and their longest wait (router options wakeQueue, wakeTimeoutMs); default the router's. */
  wake?: Pick<RouterOptions, 'wakeQueue' | 'wakeTimeoutMs'>;
  log?: Logger;
  /** Workers already booting (router-boot.ts: `corral router` forks them before it loads the rest). */
  booting?: Promise<BuiltRouter>;
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

type Built = BuiltRouter;

/** The router's close: its open requests' drain (10 s by default, src/router options.ts) and the workers' exit. */
const DRAIN_STOP_MS = 20_000;

export async function startRouterNode(opts: RouterNodeOptions): Promise<RouterNode> {
  const log = opts.log ?? logger('router');
  // workers load their code while this process joins the farm and opens the store
  const booting = opts.booting ?? ((opts.workers ?? 1) > 1 ? bootWorkers(opts, log) : undefined);
  booting?.catch(() => {}); // awaited below
  // The store closes last and the router drains before it (both pushed before they exist:
  // the workers boot while this process joins). destroy() cuts open connections at once.
  const stack = createShutdownStack(log);
  let store: Store | undefined;
  let built: Built | undefined;
  const router = async () => built ?? (await booting?.catch(() => undefined));
  stack.push('store', () => store?.close());
  stack.push('router', async () => (await router())?.close(), { destroy: async () => (await router())?.destroy(), deadlineMs: DRAIN_STOP_MS });
  try {
    const joined = await joinFarm(opts.join, opts.token, 'router', opts.id);
    store = await openEtcdStore(joined.store.endpoints, joined.store.namespace ? { namespace: joined.store.namespace } : {});
    built = booting ? await booting : buildInProcess(opts, log);
    const b = built;
    const metrics = opts.metrics ? await startMetricsServer(() => b.registry(), opts.metrics, log) : undefined;
    if (metrics) stack.push('metrics listener', () => metrics.close());
    const live = await liveEndpoints(store, b.sink, log);
    stack.push('live endpoints', () => live.close());
    stack.push('routes watch', await watchRoutes(store, live, log));
    if (opts.https) stack.push('certificates watch', await watchCertificates(store, b.sink, log));
    stack.push('load records', publishLoad(store, b.load, { id: opts.id, log }));
    // the first full table (and certificates) is in: from the first connection, a known site is never a 404
    const { port, httpsPort } = await b.listen();
    const urlHost = opts.host === '0.0.0.0' ? '127.0.0.1' : opts.host;
    const url = `http://${urlHost}:${port}`;
    const httpsUrl = httpsPort !== undefined ? `https://${urlHost}:${httpsPort}` : undefined;
    // registered under a lease: `corral drill` (GET /v1/routers) finds where to send its requests
    const record: RouterRecord = { id: opts.id, url, ...(httpsUrl ? { httpsUrl } : {}), startedAt: new Date().toISOString() };
    const reg = await register(store, keys.router(opts.id), JSON.stringify(record), 5, log);
    // first to go: `corral drill` stops sending here before the router stops listening
    stack.push('registration', () => reg.close(), { destroy: () => reg.abandon() });
    return {
      url, store,
      ...(httpsPort !== undefined ? { httpsUrl: `https://${urlHost}:${httpsPort}` } : {}),
      ...(b.router ? { router: b.router } : {}),
      ...(metrics ? { metricsUrl: metrics.url } : {}),
      close: () => stack.close(),
    };
  } catch (err) {
    await stack.destroy();
    throw err;
  }
}

function buildInProcess(opts: RouterNodeOptions, log: Logger): Built {
  const router = buildRouter({ log, metrics: opts.metrics !== undefined, trustedProxies: opts.trustedProxies ?? [], ...opts.wake, tls: opts.https?.cert ?? null });
  const stats: SiteStats | undefined = opts.metrics ? trackSiteStats(router) : undefined;
  const registry = Registry.merge([siteStatsRegistry, routerMetricsRegistry, routerStoreMetricsRegistry]);
  const stop = async (how: 'close' | 'destroy') => {
    await router[how]();
    stats?.close();
  };
  return {
    router,
    sink: {
      setRoutes: (routes) => { router.setRoutes(routes); stats?.setRoutes(routes); },
      updateRoutes: (diff) => { router.updateRoutes(diff); stats?.updateRoutes(diff); },
      abandonEndpoints: (endpoints) => router.abandonEndpoints(endpoints),
      setCertificates: (certs) => router.setCertificates(certs),
    },
    load: router,
    registry: () => registry,
    async listen() {
      const port = await listenOn(router.server, opts.httpPort, opts.host);
      const httpsPort = opts.https && router.tlsServer ? await listenOn(router.tlsServer, opts.https.port, opts.host) : undefined;
      return { port, ...(httpsPort !== undefined ? { httpsPort } : {}) };
    },
    close: () => stop('close'),
    destroy: () => stop('destroy'),
  };
}

