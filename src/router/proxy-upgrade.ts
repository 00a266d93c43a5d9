// Upgrade requests (WebSocket and any other protocol): connect a raw socket to an
// endpoint, forward the request head, then pipe bytes both ways until either side
// closes. Connect failures eject the endpoint and try the next one — nothing has been
// sent yet, so that is always safe.

import { connect, type Socket } from 'node:net';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Route } from '../model/index.ts';
import { endpointKey } from './policy/ejections.ts';
import { sendRawError, toRouterError } from './error-response.ts';
import { NoEndpointError } from './errors.ts';
import { upstreamRequestHeaders } from './upstream/forward-headers.ts';
import { ejectEndpoint, type ProxyDeps } from './proxy-request.ts';
import type { TrustedProxies } from './policy/trusted-proxies.ts';

export function proxyUpgrade(deps: ProxyDeps, req: IncomingMessage, client: Duplex, head: Buffer, route: Route): void {
  const requestHead = upgradeHead(req, deps.trust);
  const tried = new Set<string>();
  let tries = 0;
  const fail = (err: unknown, site: string) =>
    sendRawError(client, toRouterError(err, site), { log: deps.log, method: req.method, url: req.url, host: req.headers.host });

  const attempt = (current: Route): void => {
    const ep = deps.balancer.pick(current, tried, req)?.ep;
    if (ep === undefined) return fail(new NoEndpointError(current.site), current.site);
    const key = endpointKey(ep);
    tried.add(key);
    tries++;
    const upstream = connect({ host: ep.address, port: ep.port, noDelay: true });
    const closeUpstream = () => upstream.destroy();
    client.once('close', closeUpstream);
    const timer = setTimeout(() => upstream.destroy(timeoutError()), deps.config.connectTimeoutMs || 2 ** 31 - 1);
    upstream.once('close', () => clearTimeout(timer));
    let connected = false;

    upstream.once('error', (err) => {
      if (connected) return void client.destroy();
      clearTimeout(timer);
      client.off('close', closeUpstream);
      if (client.destroyed) return;
      ejectEndpoint(deps, key, ep.vs, current.site, err);
      const next = deps.lookup(req.headers.host);
      if (next && tries < Math.max(2, next.endpoints.length)) return attempt(next);
      fail(err, current.site);
    });
    upstream.once('connect', () => {
      connected = true;
      clearTimeout(timer);
      client.off('close', closeUpstream);
      upstream.write(requestHead);
      if (head.length > 0) upstream.write(head);
      deps.tunnels.add(key, upstream);
      tunnel(client, upstream);
    });
  };

  attempt(route);
}

/** Pipe both ways; when one side closes, the other is ended after its pending writes. */
function tunnel(client: Duplex, upstream: Socket): void {
  upstream.pipe(client);
  client.pipe(upstream);
  upstream.on('error', () => client.destroy());
  upstream.once('close', () => endThenDestroy(client));
  client.once('close', () => endThenDestroy(upstream));
}

function endThenDestroy(s: Duplex): void {
  if (s.destroyed) return;
  if (s.writableFinished) return void s.destroy();
  s.once('finish', () => s.destroy());
  s.end();
}

function upgradeHead(req: IncomingMessage, trust: TrustedProxies): string {
  const h = upstreamRequestHeaders(req, trust, { upgrade: true });
  let out = `${req.method ?? 'GET'} ${req.url ?? '/'} HTTP/1.1\r\n`;
  for (let i = 0; i < h.length; i += 2) out += `${h[i]}: ${h[i + 1]}\r\n`;
  return out + '\r\n';
}

function timeoutError(): Error {
  return Object.assign(new Error('connect timeout'), { code: 'UND_ERR_CONNECT_TIMEOUT' });
}
