// The router as every mode starts it: `corral up`'s (the farm's SQLite store, id `local`)
// and `corral router`'s (a farm on etcd). In this process (one worker) or as a primary and
// N worker processes sharing the ports (router-boot.ts, src/router/cluster/cluster.ts).
// The caller has opened the store and pushed its close; this part pushes its own steps
// onto the same shutdown stack.
//
// Start order: the router built (or the booting workers taken) → its /metrics listener
// (when asked) → live endpoints (cluster mode) → routes → certificates (HTTPS) → load
// records → listen → registration. It listens only once the first full table and the
// certificates are in: a known site is never answered 404 "No site is configured" by a
// router that has just started. Stop order is the reverse: the registration goes first
// (`corral drill`, GET /v1/routers, stops sending here), then the watches, then the
// router drains.

import type { Registry } from 'prom-client';
import { listenOn } from '../lib/listen.ts';
import type { Logger } from '../lib/log.ts';
import type { ShutdownStack } from '../lib/shutdown-stack.ts';
import { urlHost } from '../lib/url-host.ts';
import { keys, type RouterRecord } from '../model/index.ts';
import {
  mergedRegistry, publishLoad, routerMetricsRegistry, routerStoreMetricsRegistry, trackSiteStats, watchCertificates, watchRoutes,
  type Router, type SiteStats,
} from '../router/follow.ts';
import type { Store } from '../store/index.ts';
import { liveEndpoints } from './live-endpoints.ts';
import { startMetricsServer, type MetricsListen } from './metrics-server.ts';
import { register } from './registration.ts';
import { bootRouterWorkers, type BuiltRouter, type RouterBuildOptions } from './router-boot.ts';

export interface RouterPartOptions extends RouterBuildOptions {
  /** The router's id in the store: its load record (keys.routerLoad) and its registration (keys.router). */
  id: string;
  log: Logger;
  /** The access lines' logger, in this process (workers make their own); default log's child with part access. */
  accessLogger?: () => Logger;
  /** Drop an endpoint as soon as its VS is not ready, and cut its requests when its process exits ('farm': or its status or engine goes; 'one-machine': not for that) (live-endpoints.ts). */
  liveEndpoints?: 'farm' | 'one-machine';
  /** Register under a lease of this many seconds, renewed (a crash leaves no record behind); absent: a plain record, deleted at stop. */
  leaseSeconds?: number;
  /** Serve GET /metrics (router and per-site series) on this listener; default none. */
  metricsListen?: MetricsListen;
  /** The router step's deadline: its drain and the workers' exit (default lib/shutdown-stack's). */
  stopDeadlineMs?: number;
  /**
   * Where other hosts reach this router (its record: GET /v1/routers, `corral drill`); default
   * http(s)://<host>:<port>, which for a router on every address (0.0.0.0) names loopback.
   */
  publicUrl?: string;
  publicHttpsUrl?: string;
  /** The router node's API (router-api.ts), started before: named in its record. */
  apiUrl?: string;
}

export interface RouterPart {
  url: string;
  httpsUrl?: string;
  /** The /metrics URL when metricsListen was given. */
  metricsUrl?: string;
  /** The router, when it runs in this process. */
  router?: Router;
  /** Per-site series (every worker's, summed); only with `metrics`. */
  siteStats?: SiteStats;
  /** The router's metrics (every worker's, summed on each read). */
  registry(): Registry;
}

/**
 * Workers forked before the part starts (router-boot.ts): until startRouterPart takes them,
 * whatever fails stops them (the step `router workers`). `take()` hands them over once.
 */
export function holdRouterBoot(stack: ShutdownStack, booting: Promise<BuiltRouter> | undefined): { take(): Promise<BuiltRouter> | undefined } {
  let held = booting;
  held?.catch(() => {}); // awaited by startRouterPart
  const booted = async () => held?.catch(() => undefined);
  stack.push('router workers', async () => (await booted())?.close(), { destroy: async () => (await booted())?.destroy() });
  return {
    take() {
      const b = held;
      held = undefined;
      return b;
    },
  };
}

/** Build the router (or take `booting`), follow the store, listen and register. */
export async function startRouterPart(stack: ShutdownStack, store: Store, o: RouterPartOptions, booting?: Promise<BuiltRouter>): Promise<RouterPart> {
  const log = o.log;
  const b = booting ? await booting : o.workers > 1 ? await bootRouterWorkers(o, log) : await buildInProcess(o);
  stack.push('router', () => b.close(), { destroy: () => b.destroy(), ...(o.stopDeadlineMs !== undefined ? { deadlineMs: o.stopDeadlineMs } : {}) });
  const metrics = o.metricsListen ? await startMetricsServer(() => b.registry(), o.metricsListen, log) : undefined;
  if (metrics) stack.push('metrics listener', () => metrics.close());
  let routes: Pick<Router, 'setRoutes' | 'updateRoutes'> = b.sink;
  if (o.liveEndpoints) {
    const live = await liveEndpoints(store, b.sink, log, { vanishedIsDead: o.liveEndpoints === 'farm' });
    stack.push('live endpoints', () => live.close());
    routes = live;
  }
  stack.push('routes watch', await watchRoutes(store, routes, log));
  if (o.https) stack.push('certificates watch', await watchCertificates(store, b.sink, log));
  stack.push('load records', publishLoad(store, b.load, { id: o.id, log }));
  // the first full table (and certificates) is in: from the first connection, a known site is never a 404
  const { port, httpsPort } = await b.listen();
  const url = o.publicUrl ?? `http://${urlHost(o.host)}:${port}`;
  const httpsUrl = httpsPort !== undefined ? (o.publicHttpsUrl ?? `https://${urlHost(o.host)}:${httpsPort}`) : undefined;
  // where clients reach the router (GET /v1/routers, `corral drill`); first to go at stop
  const record: RouterRecord = { id: o.id, url, ...(httpsUrl ? { httpsUrl } : {}), startedAt: new Date().toISOString(), ...(o.apiUrl !== undefined ? { apiUrl: o.apiUrl } : {}) };
  await registerRouter(stack, store, record, o.leaseSeconds, log);
  return {
    url, ...(httpsUrl ? { httpsUrl } : {}), ...(metrics ? { metricsUrl: metrics.url } : {}),
    ...(b.router ? { router: b.router } : {}), ...(b.siteStats ? { siteStats: b.siteStats } : {}),
    registry: () => b.registry(),
  };
}

async function registerRouter(stack: ShutdownStack, store: Store, record: RouterRecord, leaseSeconds: number | undefined, log: Logger): Promise<void> {
  const key = keys.router(record.id);
  if (leaseSeconds === undefined) {
    await store.put(key, JSON.stringify(record));
    stack.push('router record', () => store.delete(key));
    return;
  }
  const reg = await register(store, key, JSON.stringify(record), leaseSeconds, log);
  stack.push('registration', () => reg.close(), { destroy: () => reg.abandon() });
}

/** The router in this process: its request path (index.ts's buildRouter) is loaded only here, never by a primary. */
async function buildInProcess(o: RouterPartOptions): Promise<BuiltRouter> {
  const { buildRouter } = await import('../router/index.ts');
  const router = buildRouter({
    log: o.log, metrics: o.metrics, trustedProxies: o.trustedProxies ?? [], ...o.wake, tls: o.https?.cert ?? null,
    accessLog: o.accessLog ? (o.accessLogger?.() ?? o.log.child({ part: 'access' })) : null,
    ...(o.siteLogDir !== undefined ? { siteLogDir: o.siteLogDir } : {}),
    ...(o.drainMs !== undefined ? { drainTimeoutMs: o.drainMs } : {}),
  });
  const stats = o.metrics ? trackSiteStats(router) : undefined;
  const registry = mergedRegistry(() => [routerMetricsRegistry, routerStoreMetricsRegistry]);
  const stop = async (how: 'close' | 'destroy') => {
    await router[how]();
    stats?.close();
  };
  return {
    router, load: router, registry: () => registry,
    ...(stats ? { siteStats: stats } : {}),
    sink: {
      setRoutes: (routes) => { router.setRoutes(routes); stats?.setRoutes(routes); },
      updateRoutes: (diff) => { router.updateRoutes(diff); stats?.updateRoutes(diff); },
      abandonEndpoints: (endpoints) => router.abandonEndpoints(endpoints),
      setCertificates: (certs) => router.setCertificates(certs),
    },
    async listen() {
      const port = await listenOn(router.server, o.httpPort, o.host);
      const httpsPort = o.https && router.tlsServer ? await listenOn(router.tlsServer, o.https.port, o.host) : undefined;
      return { port, ...(httpsPort !== undefined ? { httpsPort } : {}) };
    },
    close: () => stop('close'),
    destroy: () => stop('destroy'),
  };
}
