// Test helpers for the router's socket tests: tiny backends, a listening router and a
// keep-alive client, each cleaned up by the test that made it.

import { Agent, createServer, request, type ClientRequest, type IncomingHttpHeaders, type IncomingMessage, type RequestListener, type Server } from 'node:http';
import { connect as h2connect, type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders as H2Headers } from 'node:http2';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { once } from 'node:events';
import { connect as netConnect, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import type { TestContext } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { selfSigned } from '../lib/tls-testing.ts';
import { waitFor } from '../lib/wait.ts';
import { captureLog } from '../lib/log-testing.ts';

export { captureLog };
import type { Endpoint, Route } from '../model/index.ts';
import type { RouterOptions } from './options.ts';
import { buildRouter, type Router } from './router.ts';

export interface Backend {
  server: Server;
  port: number;
  endpoint: Endpoint;
  /** Requests received, in order. */
  seen: Array<{ method: string; url: string; headers: IncomingHttpHeaders }>;
  /** Stop listening and reset every open connection. */
  kill(): void;
}

/** A backend on 127.0.0.1; the default handler answers its name. */
export async function startBackend(t: TestContext, name: string, handler?: RequestListener): Promise<Backend> {
  const seen: Backend['seen'] = [];
  const server = createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    if (handler) return handler(req, res);
    req.resume();
    res.setHeader('content-type', 'text/plain');
    res.end(name);
  });
  const port = await listen(server);
  const kill = () => {
    server.close();
    server.closeAllConnections();
  };
  t.after(kill);
  return { server, port, seen, kill, endpoint: { vs: name, address: '127.0.0.1', port, release: 'r1' } };
}

/**
 * The router's client-facing listeners, both on the raw front by default: plain HTTP, and
 * HTTPS with HTTP/1.1 (no ALPN offered, as curl --http1.1 and most HTTP/1.1 clients).
 * Contract tests run their cases on each.
 */
export type FrontKind = 'http' | 'https';
export const FRONTS: readonly FrontKind[] = ['http', 'https'];

export interface TestRouter {
  router: Router;
  /** The port of the listener under test (the HTTPS one for an 'https' router). */
  port: number;
  readonly kind: FrontKind;
  /** The listener under test: router.server, or router.tlsServer for 'https'. */
  readonly listener: Server | NetServer;
  /** A raw client connection to that listener (TLS for 'https', SNI s.test, any certificate accepted). */
  connect(servername?: string): Socket;
  /** Send one request through the router (keep-alive) and read the whole response. */
  send(req: SendOptions): Promise<Reply>;
  /** Start a request; its response resolves as soon as the headers arrive. */
  open(req: SendOptions): { req: ClientRequest; res: Promise<IncomingMessage> };
}

export interface SendOptions {
  host: string;
  method?: string;
  path?: string;
  headers?: Record<string, string | string[]>;
  body?: string;
  /** Leave the request open: the caller writes the body and ends it. */
  stream?: boolean;
}

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** kind 'https': the router gets a test certificate (unless opts.tls) and requests go over its HTTPS listener. */
export async function startRouter(t: TestContext, routes: Route[], opts: RouterOptions = {}, kind: FrontKind = 'http'): Promise<TestRouter> {
  const https = kind === 'https';
  const router = buildRouter(https ? { tls: opts.tls ?? selfSigned(t, 'router.test', ['DNS:s.test', 'DNS:*.test']), ...opts } : opts);
  router.setRoutes(routes);
  const port = await listen(https ? (router.tlsServer as unknown as Server) : router.server);
  const agent = https ? new HttpsAgent({ keepAlive: true, maxSockets: 16, rejectUnauthorized: false }) : new Agent({ keepAlive: true, maxSockets: 16 });
  t.after(async () => {
    agent.destroy();
    await router.destroy();
  });
  const open = (o: SendOptions) => {
    const options = { host: '127.0.0.1', port, method: o.method ?? 'GET', path: o.path ?? '/', headers: { host: o.host, ...o.headers } };
    const req = https ? httpsRequest({ ...options, agent: agent as HttpsAgent, servername: o.host.replace(/:\d+$/, '') }) : request({ ...options, agent });
    const res = new Promise<IncomingMessage>((resolve, reject) => {
      req.on('response', resolve);
      req.on('error', reject);
    });
    if (o.stream) req.flushHeaders();
    else req.end(o.body);
    return { req, res };
  };
  const send = async (o: SendOptions): Promise<Reply> => {
    const res = await open(o).res;
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    return { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() };
  };
  const connect = (servername = 's.test'): Socket =>
    https ? tlsConnect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false }) : netConnect({ host: '127.0.0.1', port });
  return { router, port, kind, listener: https ? (router.tlsServer as unknown as NetServer) : router.server, connect, send, open };
}

export function route(site: string, domains: string[], backends: Array<Backend | Endpoint>): Route {
  return { site, domains, endpoints: backends.map((b) => ('endpoint' in b ? b.endpoint : b)), updatedAt: new Date(0).toISOString() };
}

/** An endpoint nothing listens on (a port bound then released). */
export async function deadEndpoint(name: string): Promise<Endpoint> {
  const s = createServer();
  const port = await listen(s);
  await new Promise((r) => s.close(r));
  return { vs: name, address: '127.0.0.1', port, release: 'r1' };
}

export function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}


/** One request as raw bytes; the reply's text (head and what came with it) once the router answers it. */
export async function rawRequest(r: Pick<TestRouter, 'connect'>, bytes: string): Promise<string> {
  const socket = r.connect();
  let text = '';
  socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
  socket.on('error', () => {});
  socket.write(bytes);
  await waitFor(() => /\r\n\r\n/.test(text), { what: 'an answer' });
  socket.destroy();
  return text;
}

/** An HTTP/2 client connection (ALPN h2, SNI s.test, any certificate) to an 'https' router; closed after the test. */
export function h2Session(t: TestContext, r: Pick<TestRouter, 'port'>): ClientHttp2Session {
  const session = h2connect(`https://127.0.0.1:${r.port}`, { servername: 's.test', rejectUnauthorized: false });
  session.on('error', () => {}); // a test asserts on its streams
  t.after(() => session.destroy());
  return session;
}

export interface H2Reply {
  status: number;
  headers: H2Headers;
  body: Buffer;
}

/** Start one bodiless request on an HTTP/2 connection (host becomes :authority). */
export function h2Open(session: ClientHttp2Session, o: Omit<SendOptions, 'body' | 'stream'>): ClientHttp2Stream {
  return session.request({ ':method': o.method ?? 'GET', ':path': o.path ?? '/', ':authority': o.host, ...o.headers }, { endStream: true });
}

/** The whole response of a stream from h2Open. */
export async function h2Reply(stream: ClientHttp2Stream): Promise<H2Reply> {
  const [headers] = (await once(stream, 'response')) as [H2Headers];
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return { status: Number(headers[':status']), headers, body: Buffer.concat(chunks) };
}
