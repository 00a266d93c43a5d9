// Forwarding one HTTP request to its site: pick an endpoint, dispatch, and on failure
// eject the endpoint and retry on another when retry-policy allows (at most one try
// per endpoint, at least two tries in all), else answer with the mapped error.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../lib/log.ts';
import type { Route } from '../model/index.ts';
import type { RoundRobin } from './balancer.ts';
import { endpointKey, type Ejections } from './ejections.ts';
import { sendError, toRouterError } from './error-response.ts';
import { NoEndpointError } from './errors.ts';
import { upstreamRequestHeaders } from './forward-headers.ts';
import type { RouterConfig } from './options.ts';
import { ResponseRelay } from './response-relay.ts';
import { ejects, failureKind, hasBody, isReplayable, mayRetry } from './retry-policy.ts';
import type { UpstreamPools } from './upstream-pools.ts';

/** What forwarding needs from the router; shared by every request. */
export interface ProxyDeps {
  /** The current route for a Host header (the table may be swapped between tries). */
  lookup(host: string | undefined): Route | undefined;
  balancer: RoundRobin;
  ejections: Ejections;
  pools: UpstreamPools;
  config: RouterConfig;
  log: Logger;
}

export function proxyRequest(deps: ProxyDeps, req: IncomingMessage, res: ServerResponse, route: Route): void {
  const body = hasBody(req.headers) ? req : null;
  const replayable = isReplayable(req.method, req.headers);
  const headers = upstreamRequestHeaders(req, deps.config.trustProxy);
  const tried = new Set<string>();
  let tries = 0;
  let relay: ResponseRelay | undefined;
  let clientGone = false;

  res.once('close', () => {
    if (res.writableFinished) return;
    clientGone = true;
    relay?.abort(new Error('client closed the connection'));
  });

  const fail = (err: unknown, site: string) =>
    sendError(res, toRouterError(err, site), { log: deps.log, method: req.method, url: req.url, host: req.headers.host });

  const attempt = (current: Route): void => {
    const ep = deps.balancer.pick(current, tried);
    if (ep === undefined) return fail(new NoEndpointError(current.site), current.site);
    const key = endpointKey(ep);
    tried.add(key);
    tries++;
    relay = new ResponseRelay(res, (err, started) => {
      if (clientGone) return;
      const kind = failureKind(err);
      if (ejects(kind)) ejectEndpoint(deps, key, ep.vs, current.site, err);
      const next = started ? undefined : deps.lookup(req.headers.host);
      const bodyUnread = body !== null && !req.readableDidRead && !req.destroyed;
      if (next && tries < Math.max(2, next.endpoints.length) && mayRetry(kind, { replayable, bodyless: body === null, bodyUnread })) {
        return attempt(next);
      }
      fail(err, current.site);
    });
    deps.pools.get(ep, key).dispatch({ method: req.method ?? 'GET', path: req.url ?? '/', headers, body }, relay);
  };

  attempt(route);
}

/** Passive health: skip this endpoint for a while, logging when it is newly ejected. */
export function ejectEndpoint(deps: ProxyDeps, key: string, vs: string, site: string, err: unknown): void {
  if (!deps.ejections.eject(key)) return;
  const code = (err as { code?: unknown } | null)?.code;
  deps.log.warn({ event: 'endpoint.ejected', endpoint: key, vs, site, code, ejectMs: deps.config.ejectMs }, 'endpoint ejected');
}
