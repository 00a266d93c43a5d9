// Forwarding one HTTP request to its site: pick an endpoint, dispatch, and on failure
// eject the endpoint and retry on another when retry-policy allows (at most one try
// per endpoint, at least two tries in all), else answer with the mapped error.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../lib/log.ts';
import type { Route } from '../model/index.ts';
import type { Balancers } from './balance-policy.ts';
import { endpointKey, type Ejections } from './ejections.ts';
import { sendError, toRouterError } from './error-response.ts';
import { NoEndpointError } from './errors.ts';
import { upstreamRequestHead, upstreamRequestHeaders } from './forward-headers.ts';
import type { RouterConfig } from './options.ts';
import { RawExchange } from './raw-exchange.ts';
import type { RawUpstreams } from './raw-upstreams.ts';
import { ResponseRelay, type RelayFailure } from './response-relay.ts';
import { limitBody } from './site-limits.ts';
import { AccessRecord } from './access-log.ts';
import type { Tunnels } from './tunnels.ts';
import { ejects, failureKind, hasBody, isReplayable, mayRetry } from './retry-policy.ts';
import type { UpstreamPools } from './upstream-pools.ts';

/** What forwarding needs from the router; shared by every request. */
export interface ProxyDeps {
  /** The current route for a Host header (the table may be swapped between tries). */
  lookup(host: string | undefined): Route | undefined;
  balancer: Balancers;
  ejections: Ejections;
  pools: UpstreamPools;
  /** Open upgrade tunnels per endpoint (drains close them after a grace period). */
  tunnels: Tunnels;
  /** The raw fast path for bodiless requests; undefined sends everything through undici. */
  raw: RawUpstreams | undefined;
  config: RouterConfig;
  log: Logger;
}

export function proxyRequest(deps: ProxyDeps, req: IncomingMessage, res: ServerResponse, route: Route): void {
  const maxBody = route.limits?.maxBodyBytes;
  const body = !requestHasBody(req) ? null : maxBody !== undefined && req.headers['content-length'] === undefined ? limitBody(req, maxBody) : req;
  const replayable = isReplayable(req.method, req.headers);
  const raw = body === null && req.httpVersionMajor !== 2 ? deps.raw : undefined; // HTTP/2 responses go through undici's object headers
  const head = raw ? upstreamRequestHead(req, deps.config.trustProxy) : '';
  const headers = raw ? [] : upstreamRequestHeaders(req, deps.config.trustProxy);
  let tried: Set<string> | undefined;
  let tries = 0;
  let relay: ResponseRelay | RawExchange | undefined;
  let clientGone = false;

  let inFlightKey: string | undefined; // counted for least-conn until the try ends
  const settle = () => {
    if (inFlightKey !== undefined) deps.balancer.inFlight.done(inFlightKey);
    inFlightKey = undefined;
  };
  const access = deps.config.accessLog || deps.config.metrics ? new AccessRecord(res) : undefined;
  res.once('close', () => {
    settle();
    if (deps.config.accessLog) access!.write(deps.config.accessLog, route.site, req, res);
    if (deps.config.metrics) access!.record(route.site, res);
    if (res.writableFinished) return;
    clientGone = true;
    relay?.abort(new Error('client closed the connection'));
  });

  const fail = (err: unknown, site: string) =>
    sendError(res, toRouterError(err, site), { log: deps.log, method: req.method, url: req.url, host: req.headers.host });

  const attempt = (current: Route): void => {
    const picked = deps.balancer.pick(current, tried, req);
    if (picked === undefined) return fail(new NoEndpointError(current.site), current.site);
    const ep = picked.ep;
    const key = endpointKey(ep);
    (tried ??= new Set()).add(key);
    tries++;
    access?.dispatched(key);
    const extra = picked.setCookie === undefined ? undefined : ['set-cookie', picked.setCookie];
    if (current.balance?.policy === 'least-conn') {
      deps.balancer.inFlight.add(key);
      inFlightKey = key;
    }
    const onFail: RelayFailure = (err, started) => {
      settle();
      if (clientGone) return;
      const kind = failureKind(err);
      if (ejects(kind)) ejectEndpoint(deps, key, ep.vs, current.site, err);
      const next = started ? undefined : deps.lookup(req.headers.host);
      const bodyUnread = body !== null && !req.readableDidRead && !req.destroyed;
      if (next && tries < Math.max(2, next.endpoints.length) && mayRetry(kind, { replayable, bodyless: body === null, bodyUnread })) {
        return attempt(next);
      }
      fail(err, current.site);
    };
    if (raw) {
      const exchange = new RawExchange(res, req.method === 'HEAD', onFail, extra);
      relay = exchange;
      exchange.conn = raw.send(ep, key, head, exchange);
      return;
    }
    const r = new ResponseRelay(res, onFail, extra);
    relay = r;
    deps.pools.get(ep, key).dispatch({ method: req.method ?? 'GET', path: req.url ?? '/', headers, body }, r);
  };

  attempt(route);
}

/** HTTP/2 needs no Content-Length: a body follows unless the HEADERS frame ended the stream. */
function requestHasBody(req: IncomingMessage): boolean {
  if (req.httpVersionMajor !== 2) return hasBody(req.headers);
  const stream = (req as unknown as { stream?: { endAfterHeaders?: boolean } }).stream;
  return hasBody(req.headers) || stream?.endAfterHeaders === false;
}

/** Passive health: skip this endpoint for a while, logging when it is newly ejected. */
export function ejectEndpoint(deps: ProxyDeps, key: string, vs: string, site: string, err: unknown): void {
  if (!deps.ejections.eject(key)) return;
  const code = (err as { code?: unknown } | null)?.code;
  deps.log.warn({ event: 'endpoint.ejected', endpoint: key, vs, site, code, ejectMs: deps.config.ejectMs }, 'endpoint ejected');
}
