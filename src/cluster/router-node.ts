// `corral router --join <controller-url> --token <join-token>`: a router of a farm on
// etcd. It joins for the store's endpoints and watches the published routes there, so
// it keeps routing while controllers come and go; live-endpoints.ts drops an endpoint
// the moment its VS status or its engine's registration goes, before the reconciler.
// With `https` it also serves HTTPS (site certificates from the store's certificates/,
// the given default certificate for other names); with `workers` > 1 it runs as a
// primary and worker processes sharing the ports (src/router/cluster/cluster.ts), booted while
// it joins. It listens only once the first full route table is in: a known site is
// never answered 404 "No site is configured" by a router that has just started. Its store
// speaks etcd's JSON gateway (src/store/etcd-gateway-store.ts): it loads no etcd client.
// With `dir` its router processes write each site's access lines there as `corral up`'s do
// (<dir>/logs/router, capped), and its API (router-api.ts, started before the router, named
// in its record) serves them to the farm's controllers for `corral logs`.

import type { CertificatePem, Router, RouterOptions } from '../router/follow.ts';
import { logger, type Logger } from '../lib/log.ts';
import { openEtcdGatewayStore, type Store } from '../store/index.ts';
import { startFarmNode } from './farm-node.ts';
import { joinFarm } from './join.ts';
import { bootRouterWorkers, nodeRouterBuild, type BuiltRouter } from './router-boot.ts';
import { holdRouterBoot, startRouterPart } from './router-part.ts';
import type { MetricsListen } from './metrics-server.ts';
import { startRouterApi } from './router-api.ts';
import { createRouterLogs } from './router-logs.ts';

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
  /** Where other hosts reach this router (`--url`, `--https-url`; RouterPartOptions.publicUrl). */
  publicUrl?: string;
  publicHttpsUrl?: string;
  /** Ctrl-C during start-up: what has started is stopped (close) and the start rejects (farm-node.ts). */
  signal?: AbortSignal;
  /** Workers already booting (router-boot.ts: `corral router` forks them before it loads the rest). */
  booting?: Promise<BuiltRouter>;
  /**
   * The node's state folder: its routers write each site's access lines in <dir>/logs/router
   * (router-boot.ts routerLogDir), served on its API. Absent: no lines are kept, no API.
   */
  dir?: string;
  /** The API's port (router-api.ts; `corral router`: 7402); default 0, any free port. */
  apiPort?: number;
  /** The address the API listens on; default `host`. Its URL names the host of `publicUrl` when this is 0.0.0.0 or ::. */
  apiHost?: string;
  /** The registration's lease in seconds (default 5): a router gone this long is no longer part of the farm. */
  leaseSeconds?: number;
}

export interface RouterNode {
  url: string;
  /** The HTTPS URL when `https` was given. */
  httpsUrl?: string;
  /** The /metrics URL when `metrics` was given. */
  metricsUrl?: string;
  /** Where the farm's controllers reach this node's API (its record's apiUrl), when `dir` was given. */
  apiUrl?: string;
  /** The router, when it runs in this process (workers: 1). */
  router?: Router;
  store: Store;
  close(): Promise<void>;
  /** As on a crash: open connections cut at once, nothing revoked (the registration expires with its lease). */
  destroy(): Promise<void>;
}

/** The router's close: its open requests' drain (10 s by default, src/router options.ts) and the workers' exit. */
const DRAIN_STOP_MS = 20_000;
/** The registration's lease: a router gone this long is no longer sent requests by `corral drill`. */
const LEASE_SECONDS = 5;

export async function startRouterNode(opts: RouterNodeOptions): Promise<RouterNode> {
  const log = opts.log ?? logger('router');
  const build = nodeRouterBuild(opts);
  // The store closes last and the router drains before it; workers load their code while
  // this process joins the farm and opens the store. destroy() cuts open connections at once.
  let boot: ReturnType<typeof holdRouterBoot> | undefined;
  const node = await startFarmNode({
    log, onFailure: 'destroy', ...(opts.signal ? { signal: opts.signal } : {}),
    async store(stack) {
      boot = holdRouterBoot(stack, opts.booting ?? (build.workers > 1 ? bootRouterWorkers(build, log) : undefined));
      const joined = await joinFarm(opts.join, opts.token, 'router', opts.id);
      // etcd's JSON gateway, not the gRPC client: grpc-js and protobufjs were ≈ 20 MB of this process.
      const store = await openEtcdGatewayStore(joined.store.endpoints, joined.store.namespace ? { namespace: joined.store.namespace } : {});
      stack.push('store', () => store.close());
      return store;
    },
    async router({ stack, store }) {
      // before the router: its record names the API from its first registration; it closes after the router's drain
      const api = build.siteLogDir !== undefined ? await startRouterApi({
        store, logs: createRouterLogs(build.siteLogDir), log: log.child({ part: 'router-api' }),
        listen: { port: opts.apiPort ?? 0, host: opts.apiHost ?? opts.host }, ...advertised(opts),
      }) : undefined;
      if (api) stack.push('router api', () => api.close());
      const part = await startRouterPart(stack, store, {
        ...build, id: opts.id, log, liveEndpoints: 'farm', leaseSeconds: opts.leaseSeconds ?? LEASE_SECONDS, stopDeadlineMs: DRAIN_STOP_MS,
        ...(opts.publicUrl !== undefined ? { publicUrl: opts.publicUrl } : {}), ...(opts.publicHttpsUrl !== undefined ? { publicHttpsUrl: opts.publicHttpsUrl } : {}),
        ...(opts.metrics ? { metricsListen: opts.metrics } : {}), ...(api ? { apiUrl: api.url } : {}),
      }, boot?.take());
      return { part, ...(api ? { apiUrl: api.url } : {}) };
    },
  });
  const { router: { part, apiUrl }, store, stack } = node;
  return {
    url: part.url, store,
    ...(part.httpsUrl ? { httpsUrl: part.httpsUrl } : {}),
    ...(part.router ? { router: part.router } : {}),
    ...(part.metricsUrl ? { metricsUrl: part.metricsUrl } : {}),
    ...(apiUrl !== undefined ? { apiUrl } : {}),
    close: () => stack.close(),
    destroy: () => stack.destroy(),
  };
}

/** An API on every address (0.0.0.0, ::) is named by the host other hosts reach the router at (`--url`), when given. */
function advertised(opts: RouterNodeOptions): { advertiseHost?: string } {
  const host = opts.apiHost ?? opts.host;
  if ((host !== '0.0.0.0' && host !== '::') || opts.publicUrl === undefined) return {};
  return { advertiseHost: new URL(opts.publicUrl).hostname.replace(/^\[(.*)\]$/, '$1') };
}
