// Upgrade requests (WebSocket and any other protocol): connect a raw socket to an
// endpoint, forward the request head, and read the endpoint's answer: 101 Switching
// Protocols, and bytes are piped both ways until either side closes; anything else (a
// static site's 200, a 401, a 426) is relayed as one response — its head rewritten to close
// the connection and say `via` — and the connection is closed after it, so that nothing the
// client sends next reaches the endpoint unrouted. Connect failures eject the endpoint and
// try the next one — nothing has been sent yet, so that is always safe. An upgrade no server
// took (every try refused, or the route has no endpoint: its one server crashed and is being
// restarted) is held and tried again as a request is (recover-holds.ts), until startHoldMs.

import { connect, type Socket } from 'node:net';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Route } from '../model/index.ts';
import { endpointKey } from './policy/ejections.ts';
import { sendRawError, toRouterError } from './error-response.ts';
import { NoEndpointError } from './errors.ts';
import { responseParser } from './raw-parser.ts';
import { upstreamRequestHeaders } from './upstream/forward-headers.ts';
import { ejectEndpoint, type ProxyDeps } from './proxy-request.ts';
import { failureKind } from './policy/retry-policy.ts';
import { HoldSchedule, mayHold } from './policy/recover-holds.ts';
import type { TrustedProxies } from './policy/trusted-proxies.ts';

export function proxyUpgrade(deps: ProxyDeps, req: IncomingMessage, client: Duplex, head: Buffer, route: Route): void {
  const requestHead = upgradeHead(req, deps.trust);
  const tried = new Set<string>();
  let tries = 0;
  const fail = (err: unknown, site: string) =>
    sendRawError(client, toRouterError(err, site), { log: deps.log, method: req.method, url: req.url, host: req.headers.host });
  let holds: HoldSchedule | undefined;
  /** The last try's connection failed before anything was sent (refused, connect timeout). */
  let refused: Error | undefined;
  let dropHold: (() => void) | undefined;

  /** No server took it: hold it, then try the site's route of then afresh (false: answer now). */
  const recover = (current: Route, err: Error): boolean => {
    if (!mayHold(current, deps.config.startHoldMs) || client.destroyed) return false;
    const pause = (holds ??= new HoldSchedule()).next(deps.config.startHoldMs, performance.now());
    if (pause === undefined) return false;
    const site = current.site;
    const drop = deps.recoverHolds.hold(site, pause, {
      go: () => {
        client.off('close', leave);
        const now = deps.lookup(req.headers.host);
        if (now === undefined) return fail(new NoEndpointError(site), site);
        tried.clear();
        tries = 0;
        refused = undefined;
        attempt(now);
      },
      fail: (why) => {
        client.off('close', leave);
        if (why === 'gone') client.destroy();
        else fail(err, site);
      },
    });
    if (drop === false) return false;
    dropHold = drop;
    client.once('close', leave);
    return true;
  };
  const leave = () => dropHold?.();

  const attempt = (current: Route): void => {
    const ep = deps.balancer.pick(current, tried, req)?.ep;
    if (ep === undefined) {
      const none = new NoEndpointError(current.site);
      if ((current.endpoints.length === 0 || refused !== undefined) && recover(current, refused ?? none)) return;
      return fail(none, current.site);
    }
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
      refused = failureKind(err) === 'unsent' ? err : undefined;
      const next = deps.lookup(req.headers.host);
      if (next && tries < Math.max(2, next.endpoints.length)) return attempt(next);
      if (refused !== undefined && recover(next ?? current, err)) return;
      fail(err, current.site);
    });
    upstream.once('connect', () => {
      connected = true;
      clearTimeout(timer);
      client.off('close', closeUpstream);
      upstream.write(requestHead);
      if (head.length > 0) upstream.write(head);
      deps.tunnels.add(key, upstream);
      awaitSwitch(client, upstream, (err) => fail(err, current.site));
    });
  };

  attempt(route);
}

/** Pipe both ways; when one side closes, the other is ended after its pending writes. */
/** The most a response head to an upgrade may take before the router gives up on it. */
const MAX_ANSWER_HEAD = 16_384;
/** Hop-by-hop header lines of an answer that is not 101: replaced by `connection: close`. */
const HOP_BY_HOP = /^(connection|keep-alive|proxy-connection|upgrade)[ \t]*:/i;

/** Read the endpoint's answer to the upgrade: 101 → the tunnel; else relay it and close (see the header). */
function awaitSwitch(client: Duplex, upstream: Socket, fail: (err: Error) => void): void {
  let got: Buffer = Buffer.alloc(0);
  const early = () => fail(Object.assign(new Error('upstream closed before answering the upgrade'), { code: 'UND_ERR_SOCKET' }));
  const onData = (chunk: Buffer): void => {
    got = got.length === 0 ? chunk : Buffer.concat([got, chunk]);
    const end = got.indexOf('\r\n\r\n');
    if (end < 0 && got.length <= MAX_ANSWER_HEAD) return;
    upstream.off('data', onData);
    upstream.off('close', early);
    upstream.pause();
    const head = end < 0 ? '' : got.subarray(0, end).toString('latin1');
    const status = Number(/^HTTP\/1\.[01] (\d{3}) /.exec(head)?.[1] ?? NaN);
    if (status === 101) {
      client.write(got);
      return tunnel(client, upstream);
    }
    if (status >= 200) return relayAnswer(client, upstream, head, got);
    upstream.destroy(); // no head within MAX_ANSWER_HEAD, or an informational one: not a proxy's to guess
    fail(Object.assign(new Error('the endpoint answered the upgrade with no valid response head'), { code: 'UND_ERR_SOCKET' }));
  };
  upstream.on('data', onData);
  upstream.once('close', early);
}

/** A final answer to an upgrade: its head rewritten (connection: close, via), its body as it comes, then both ends closed. */
function relayAnswer(client: Duplex, upstream: Socket, head: string, got: Buffer): void {
  const lines = head.split('\r\n');
  let out = `${lines[0]}\r\n`;
  for (let i = 1; i < lines.length; i++) if (!HOP_BY_HOP.test(lines[i]!)) out += `${lines[i]}\r\n`;
  client.write(`${out}connection: close\r\nvia: 1.1 corral\r\n\r\n`, 'latin1');
  let complete = false;
  const parser = responseParser({ onHeaders: () => false, onBody: () => {}, onComplete: () => void (complete = true) });
  const finish = (): void => {
    upstream.destroy();
    endThenDestroy(client);
  };
  const relay = (chunk: Buffer, from: number): void => {
    const ret = parser.execute(chunk);
    if (ret instanceof Error) return void client.destroy(); // a broken body: the client sees the cut
    if (chunk.length > from) client.write(chunk.subarray(from));
    if (complete) finish();
  };
  relay(got, got.indexOf('\r\n\r\n') + 4);
  if (complete) return;
  upstream.on('data', (chunk: Buffer) => relay(chunk, 0));
  upstream.once('close', finish); // a body read to close ends here
  upstream.on('error', () => client.destroy());
  upstream.resume();
}

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
