// The router: the farm's HTTP front door. buildRouter() builds it without listening;
// the caller listens on router.server.
//
// Request chain, in this order (one place, here):
//   1. route: Host → site through the current route table (unknown host → 404,
//      never another site's content);
//   2. target: only origin-form targets ("/path?query") are forwarded (else 400);
//   3. endpoints: a site with none → 503;
//   4. forward (proxy-request / proxy-upgrade): hop-by-hop headers dropped,
//      X-Forwarded-* and Via set, round robin over endpoints not ejected, request body
//      streamed; a failed connection ejects the endpoint and is retried on another
//      when retry-policy allows;
//   5. respond: the upstream response streamed back with hop-by-hop headers dropped;
//      failures mapped to a status in error-response (502/504; cut off if started).

import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Route } from '../model/index.ts';
import { RoundRobin } from './balancer.ts';
import { Ejections, endpointKey } from './ejections.ts';
import { sendError, sendRawError, type ErrorContext } from './error-response.ts';
import { BadRequestError, NoEndpointError, UnknownHostError, type RouterError } from './errors.ts';
import { routerConfig, type RouterOptions } from './options.ts';
import { proxyRequest, type ProxyDeps } from './proxy-request.ts';
import { proxyUpgrade } from './proxy-upgrade.ts';
import { buildRouteTable, type RouteTable } from './route-table.ts';
import { serverLifecycle } from './server-lifecycle.ts';
import { UpstreamPools } from './upstream-pools.ts';

export interface Router {
  /** The listener, not yet listening. */
  readonly server: Server;
  /** Replace the whole route table at once. */
  setRoutes(routes: readonly Route[]): void;
  /** Stop accepting, let open requests finish (up to drainTimeoutMs), release pools. Safe twice. */
  close(): Promise<void>;
  /** Cut every connection and upstream request now. Safe twice. */
  destroy(): Promise<void>;
}

export function buildRouter(opts: RouterOptions = {}): Router {
  const config = routerConfig(opts);
  const log = config.log;
  const ejections = new Ejections(config.ejectMs);
  const pools = new UpstreamPools(config);
  let table: RouteTable = buildRouteTable([]);
  const deps: ProxyDeps = { lookup: (host) => table.lookup(host), balancer: new RoundRobin(ejections), ejections, pools, config, log };

  const server = createServer({ noDelay: true }, (req, res) => {
    const route = admit(req);
    if (route instanceof Error) return sendError(res, route, errorContext(req));
    proxyRequest(deps, req, res, route);
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', ignore); // node drops its own socket error handler on upgrade; a reset client is not an error here
    const route = admit(req);
    if (route instanceof Error) return sendRawError(socket, route, errorContext(req));
    proxyUpgrade(deps, req, socket, head, route);
  });

  /** Chain steps 1–3: the route to forward to, or the error to answer with. */
  function admit(req: IncomingMessage): Route | RouterError {
    const route = table.lookup(req.headers.host);
    if (route === undefined) return new UnknownHostError(req.headers.host ?? '');
    if (req.url?.[0] !== '/') return new BadRequestError('the request target must be a path');
    if (route.endpoints.length === 0) return new NoEndpointError(route.site);
    return route;
  }

  function errorContext(req: IncomingMessage): ErrorContext {
    return { log, method: req.method, url: req.url, host: req.headers.host };
  }

  function setRoutes(routes: readonly Route[]): void {
    const next = buildRouteTable(routes);
    table = next;
    const live = new Set(routes.flatMap((r) => r.endpoints.map(endpointKey)));
    pools.retain(live);
    ejections.retain(live);
    deps.balancer.retain(new Set(routes.map((r) => r.site)));
    for (const c of next.conflicts) log.warn({ event: 'routes.conflict', ...c }, 'domain claimed by two sites');
    for (const i of next.invalid) log.warn({ event: 'routes.invalid-domain', ...i }, 'domain cannot be routed');
    log.info({ event: 'routes.updated', sites: routes.length, domains: next.size, endpoints: live.size }, 'routes updated');
  }

  const lifecycle = serverLifecycle(server, config.drainTimeoutMs, pools);
  return { server, setRoutes, close: lifecycle.close, destroy: lifecycle.destroy };
}

function ignore(): void {}
