// A router node's workers, forked as early as its command can (the router cluster's primary
// alone is loaded here: src/router/cluster/primary.ts), so they load their code while the rest of
// the node loads and joins the farm. router-node.ts takes the booting cluster, or boots it
// itself.

import type { Registry } from 'prom-client';
import type { Logger } from '../lib/log.ts';
import { bootRouterCluster } from '../router/cluster/primary.ts';
import type { CertificatePem, LoadSource, Router, RouterOptions } from '../router/index.ts';
import type { MetricsListen } from './metrics-server.ts';

/** The router node's options (router-node.ts RouterNodeOptions) the workers are booted with. */
export interface RouterBootOptions {
  workers?: number;
  httpPort: number;
  host: string;
  https?: { port: number; cert: CertificatePem };
  metrics?: MetricsListen;
  trustedProxies?: readonly string[];
  wake?: Pick<RouterOptions, 'wakeQueue' | 'wakeTimeoutMs'>;
}

/** The router either way, built but not listening yet: where routes and certificates go, its metrics. */
export interface BuiltRouter {
  router?: Router;
  sink: Pick<Router, 'setRoutes' | 'updateRoutes' | 'abandonEndpoints' | 'setCertificates'>;
  /** Its per-site load and wakes (publish-load.ts). */
  load: LoadSource;
  registry(): Registry;
  /** Listen (HTTP, then HTTPS when asked): only once the first table is in. */
  listen(): Promise<{ port: number; httpsPort?: number }>;
  close(): Promise<void>;
  destroy(): Promise<void>;
}

/** Fork opts.workers router workers and set them up as the node's router. */
export async function bootWorkers(opts: RouterBootOptions, log: Logger): Promise<BuiltRouter> {
  const rc = await bootRouterCluster({
    workers: opts.workers, listen: { port: opts.httpPort, host: opts.host },
    ...(opts.https ? { httpsListen: { port: opts.https.port, host: opts.host } } : {}),
    router: { metrics: opts.metrics !== undefined, trustedProxies: opts.trustedProxies ?? [], ...opts.wake, tls: opts.https?.cert ?? null }, log,
  });
  return {
    sink: rc, load: rc, registry: () => rc.metricsRegistry(),
    async listen() {
      await rc.listen(); // every worker starts with the table and certificates set so far
      return { port: rc.port, ...(rc.httpsPort !== undefined ? { httpsPort: rc.httpsPort } : {}) };
    },
    close: () => rc.close(),
    destroy: () => rc.close(0),
  };
}
