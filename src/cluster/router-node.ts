// `corral router --join <controller-url> --token <join-token>`: a router of a farm on
// etcd. It joins for the store's endpoints and watches the published routes there, so
// it keeps routing while controllers come and go; live-endpoints.ts drops an endpoint
// the moment its VS status or its engine's registration goes, before the reconciler.

import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { buildRouter, routerMetricsRegistry, siteStatsRegistry, trackSiteStats, watchRoutes, type Router, type SiteStats } from '../router/index.ts';
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
  /** Serve GET /metrics (router and per-site series) on this listener; default none. */
  metrics?: MetricsListen;
  log?: Logger;
}

export interface RouterNode {
  url: string;
  /** The /metrics URL when `metrics` was given. */
  metricsUrl?: string;
  router: Router;
  store: Store;
  close(): Promise<void>;
}

export async function startRouterNode(opts: RouterNodeOptions): Promise<RouterNode> {
  const log = opts.log ?? logger('router');
  const joined = await joinFarm(opts.join, opts.token, 'router', opts.id);
  const store = await openEtcdStore(joined.store.endpoints, joined.store.namespace ? { namespace: joined.store.namespace } : {});
  const router = buildRouter({ log, metrics: opts.metrics !== undefined });
  let stats: SiteStats | undefined;
  let metrics: MetricsServer | undefined;
  try {
    let sink: Pick<Router, 'setRoutes'> = router;
    if (opts.metrics) {
      const s = (stats = trackSiteStats(router.server));
      metrics = await startMetricsServer(Registry.merge([siteStatsRegistry, routerMetricsRegistry]), opts.metrics, log);
      sink = { setRoutes: (routes) => { router.setRoutes(routes); s.setRoutes(routes); } };
    }
    const live = await liveEndpoints(store, sink, log);
    const watch = await watchRoutes(store, live, log);
    await new Promise<void>((ok, fail) => {
      router.server.once('error', fail);
      router.server.listen(opts.httpPort, opts.host, () => ok());
    });
    const port = (router.server.address() as AddressInfo).port;
    let closed = false;
    return {
      url: `http://${opts.host === '0.0.0.0' ? '127.0.0.1' : opts.host}:${port}`, router, store,
      ...(metrics ? { metricsUrl: metrics.url } : {}),
      async close() {
        if (closed) return;
        closed = true;
        watch.close();
        live.close();
        await router.close();
        stats?.close();
        await metrics?.close();
        await store.close();
      },
    };
  } catch (err) {
    await router.destroy();
    stats?.close();
    await metrics?.close();
    await store.close();
    throw err;
  }
}
