// Which front serves an HTTPS connection: HTTP/1.1 (by ALPN, or no ALPN at all) is read by
// the raw front once the handshake is done, HTTP/2 by node:http2, and with rawFront off
// HTTP/1.1 goes to node:http's side of the secure server. Which one read a request is
// seen from outside: node:http publishes each request it reads on the
// 'http.server.request.start' diagnostics channel, node:http2 emits 'stream', the raw
// front neither. (The same cases as over plain HTTP run on HTTPS in
// raw-server.test.ts, router-limits, router-upgrade, router-headers, router-access-log
// and tls-hygiene.test.ts.)

import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { once } from 'node:events';
import { connect as h2connect, constants } from 'node:http2';
import { request as httpsRequest } from 'node:https';
import { connect as tcpConnect, type AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { selfSigned } from '../../lib/tls-testing.ts';
import { waitFor } from '../../lib/wait.ts';
import type { RouterOptions } from '../options.ts';
import { buildRouter, type Router } from '../router.ts';
import { trackSiteStats } from '../site-stats.ts';
import { route, startBackend } from '../testing.ts';

/** A router with its HTTPS listener on port 0, and which front read each request, in the order they ended: 'raw', 'node:http' or 'node:http2'. */
async function httpsRouter(t: TestContext, opts: RouterOptions = {}): Promise<{ router: Router; port: number; seen: string[] }> {
  const b = await startBackend(t, 'b', (req, res) => {
    req.resume();
    res.end(`proto=${String(req.headers['x-forwarded-proto'])}`);
  });
  const router = buildRouter({ tls: selfSigned(t, 's.test', ['DNS:s.test']), ...opts });
  router.setRoutes([route('s', ['s.test'], [b])]);
  const seen: string[] = [];
  let reader: string | undefined;
  const onNodeRequest = (m: unknown): void => {
    if ((m as { server: unknown }).server === router.tlsServer) reader = 'node:http'; // not the backend's
  };
  subscribe('http.server.request.start', onNodeRequest);
  t.after(() => unsubscribe('http.server.request.start', onNodeRequest));
  router.tlsServer!.on('stream', () => (reader = 'node:http2'));
  router.onFinished(() => {
    seen.push(reader ?? 'raw');
    reader = undefined;
  });
  await new Promise<void>((resolve) => router.tlsServer!.listen(0, '127.0.0.1', resolve));
  t.after(() => router.destroy());
  return { router, port: (router.tlsServer!.address() as AddressInfo).port, seen };
}

function getHttps(port: number, alpn?: string[]): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, servername: 's.test', headers: { host: 's.test' }, rejectUnauthorized: false, agent: false, ...(alpn ? { ALPNProtocols: alpn } : {}) }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function getH2(t: TestContext, port: number, extra: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const session = h2connect(`https://127.0.0.1:${port}`, { servername: 's.test', rejectUnauthorized: false });
  t.after(() => session.close());
  const stream = session.request({ ':path': '/', ':authority': 's.test', ...extra });
  const [headers] = (await once(stream, 'response')) as [Record<string, string | number>];
  let body = '';
  stream.setEncoding('utf8');
  for await (const c of stream) body += c as string;
  return { status: Number(headers[':status']), body };
}

test('HTTPS/1.1 (ALPN http/1.1 or none) is served by the raw front, HTTP/2 by node:http2; both are X-Forwarded-Proto https', async (t) => {
  const { port, seen } = await httpsRouter(t);
  assert.deepEqual(await getHttps(port, ['http/1.1']), { status: 200, body: 'proto=https' });
  assert.deepEqual(await getHttps(port), { status: 200, body: 'proto=https' }, 'a client offering no ALPN');
  assert.deepEqual(await getH2(t, port), { status: 200, body: 'proto=https' });
  await waitFor(() => seen.length === 3, { what: 'three requests ended' });
  assert.deepEqual(seen, ['raw', 'raw', 'node:http2']);
});

test('HTTP/2: more header fields than maxRequestHeaders is answered 431, not a stream reset (node:http2 resets past 128 of its own); pseudo-headers do not count', async (t) => {
  const { port } = await httpsRouter(t);
  const fields = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`x-${i}`, '1']));
  assert.deepEqual(await getH2(t, port, fields(100)), { status: 200, body: 'proto=https' }, '100 fields and :method, :path, :scheme, :authority');
  const over = await getH2(t, port, fields(130));
  assert.equal(over.status, 431);
  assert.match(over.body, /more than 100 header fields/);
});

test('HTTP/2: :path must be origin-form: an absolute one is reset by node:http2 (PROTOCOL_ERROR) before the router, OPTIONS * a 400 from the router naming asterisk-form; the connection serves on', async (t) => {
  const { port, seen } = await httpsRouter(t);
  const session = h2connect(`https://127.0.0.1:${port}`, { servername: 's.test', rejectUnauthorized: false });
  session.on('error', () => {});
  t.after(() => session.close());
  const absolute = session.request({ ':path': 'http://s.test/a', ':authority': 's.test' });
  absolute.on('error', () => {}); // the reset
  absolute.resume();
  await new Promise((resolve) => absolute.on('close', resolve));
  assert.equal(absolute.rstCode, constants.NGHTTP2_PROTOCOL_ERROR);
  const star = await getH2(t, port, { ':method': 'OPTIONS', ':path': '*' });
  assert.equal(star.status, 400);
  assert.match(star.body, /asterisk-form \(OPTIONS \*\) is not answered/);
  assert.deepEqual(await getH2(t, port), { status: 200, body: 'proto=https' }, 'the connection serves on');
  await waitFor(() => seen.length === 2, { what: 'two requests ended' });
});

test('HTTP/2: the router allows 128 streams at once per connection (node allows any number)', async (t) => {
  const { port } = await httpsRouter(t);
  const session = h2connect(`https://127.0.0.1:${port}`, { servername: 's.test', rejectUnauthorized: false });
  t.after(() => session.close());
  const [settings] = (await once(session, 'remoteSettings')) as [{ maxConcurrentStreams?: number }];
  assert.equal(settings.maxConcurrentStreams, 128);
});

test('HTTP/2: a connection with no stream open for clientH2IdleMs is closed (GOAWAY); one with a stream open is kept while it is', async (t) => {
  const b = await startBackend(t, 'slow', (req, res) => {
    req.resume();
    setTimeout(() => res.end('slow'), 700).unref();
  });
  const router = buildRouter({ tls: selfSigned(t, 's.test', ['DNS:s.test']), clientH2IdleMs: 300 });
  router.setRoutes([route('s', ['s.test'], [b])]);
  await new Promise<void>((resolve) => router.tlsServer!.listen(0, '127.0.0.1', resolve));
  t.after(() => router.destroy());
  const port = (router.tlsServer!.address() as AddressInfo).port;
  const open = () => {
    const session = h2connect(`https://127.0.0.1:${port}`, { servername: 's.test', rejectUnauthorized: false });
    session.on('error', () => {});
    t.after(() => session.destroy());
    return session;
  };
  const closed = (s: ReturnType<typeof open>) => Promise.race([once(s, 'close'), new Promise((_, fail) => setTimeout(() => fail(new Error('not closed within 3 s')), 3_000).unref())]);
  const idle = open();
  const t0 = performance.now();
  await closed(idle);
  const idleMs = performance.now() - t0;
  assert.ok(idleMs >= 250 && idleMs < 3_000, `an idle connection closed after ≈ 300 ms (${idleMs.toFixed(0)})`);

  const busy = open();
  const stream = busy.request({ ':path': '/', ':authority': 's.test' });
  const [headers] = (await once(stream, 'response')) as [Record<string, string | number>];
  assert.equal(headers[':status'], 200, 'a 700 ms answer on a stream open past the idle time');
  stream.resume();
  await once(stream, 'end');
  assert.equal(busy.closed || busy.destroyed, false, 'kept while its stream was open');
  await closed(busy); // then idle: closed
});

test('HTTP/2: an upstream connection whose last response ended while its client was slow to take it is read again when reused (raw upstream)', async (t) => {
  const BODY = Buffer.alloc(60_000, 'x'); // one upstream read; more than an HTTP/2 stream buffers before write() says wait
  const b = await startBackend(t, 'b', (req, res) => {
    req.resume();
    res.writeHead(200, { 'content-length': BODY.length }).end(BODY);
  });
  const router = buildRouter({ tls: selfSigned(t, 's.test', ['DNS:s.test']) });
  router.setRoutes([route('s', ['s.test'], [b])]);
  await new Promise<void>((resolve) => router.tlsServer!.listen(0, '127.0.0.1', resolve));
  t.after(() => router.destroy());
  const port = (router.tlsServer!.address() as AddressInfo).port;
  const session = h2connect(`https://127.0.0.1:${port}`, { servername: 's.test', rejectUnauthorized: false });
  t.after(() => session.destroy());
  const get = async () => {
    const stream = session.request({ ':path': '/', ':authority': 's.test' });
    let n = 0;
    stream.on('data', (c: Buffer) => (n += c.length));
    const ended = once(stream, 'end');
    const timer = new Promise((_, fail) => setTimeout(() => fail(new Error('no answer within 5 s')), 5_000).unref());
    await Promise.race([ended, timer]);
    return n;
  };
  for (let i = 0; i < 5; i++) assert.equal(await get(), BODY.length, `request ${i + 1}, one upstream connection reused`);
  assert.equal(b.seen.length, 5);
});

test('HTTP/2: a small reply the client never takes (its window kept at 0) is reset after clientSendTimeoutMs, a proxied one and a router answer alike; the connection serves on', async (t) => {
  const SEND_TIMEOUT = 300;
  const { port } = await httpsRouter(t, { clientSendTimeoutMs: SEND_TIMEOUT });
  // a window of 0: the client takes no DATA until it says so (WINDOW_UPDATE), and says nothing
  const session = h2connect(`https://127.0.0.1:${port}`, { servername: 's.test', rejectUnauthorized: false, settings: { initialWindowSize: 0 } });
  session.on('error', () => {});
  t.after(() => session.destroy());
  const stuck = (authority: string) => {
    const stream = session.request({ ':path': '/', ':authority': authority }, { endStream: true });
    stream.on('error', () => {}); // the reset: asserted on below
    const t0 = performance.now();
    return Promise.race([
      new Promise<{ rst: number | undefined; ms: number }>((resolve) => stream.on('close', () => resolve({ rst: stream.rstCode, ms: performance.now() - t0 }))),
      new Promise<never>((_, fail) => setTimeout(() => fail(new Error(`${authority}: not reset within 5 s`)), 5_000).unref()),
    ]);
  };
  const [proxied, answered] = await Promise.all([stuck('s.test'), stuck('nowhere.test')]);
  for (const [what, r] of [['proxied', proxied], ['router answer (unknown host)', answered]] as const) {
    assert.notEqual(r.rst, constants.NGHTTP2_NO_ERROR, `${what}: the stream was reset`);
    assert.ok(r.ms >= SEND_TIMEOUT - 20, `${what}: not before the send timeout (${r.ms.toFixed(0)} ms)`);
  }
  assert.equal(session.destroyed, false, 'the connection is kept');
  // a client that takes its reply is not cut, on the same router
  assert.deepEqual(await getH2(t, port), { status: 200, body: 'proto=https' });
});

test('with rawFront off, HTTPS/1.1 is served by node:http (the same answers)', async (t) => {
  const { port, seen } = await httpsRouter(t, { rawFront: false });
  assert.deepEqual(await getHttps(port, ['http/1.1']), { status: 200, body: 'proto=https' });
  assert.deepEqual(await getH2(t, port), { status: 200, body: 'proto=https' });
  await waitFor(() => seen.length === 2, { what: 'two requests ended' });
  assert.deepEqual(seen, ['node:http', 'node:http2']);
});

test('site stats count HTTPS requests from the raw front and from HTTP/2', async (t) => {
  const { router, port } = await httpsRouter(t);
  let clock = 1_000_000_000_000;
  const stats = trackSiteStats(router, () => clock);
  t.after(() => stats.close());
  stats.setRoutes([route('s', ['s.test'], [])]);
  await getHttps(port, ['http/1.1']);
  await getHttps(port, ['http/1.1']);
  await getH2(t, port);
  clock += 1000;
  await waitFor(() => stats.series('s', 2, 1).at(-1)?.requests === 3, { what: 'three HTTPS requests counted', timeoutMs: 2_000 });
});

test('over TLS, a client that half-closes after its request is answered as node:http would, and the connection ends', async (t) => {
  const { port } = await httpsRouter(t);
  const socket = tlsConnect({ host: '127.0.0.1', port, servername: 's.test', rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] });
  socket.on('error', () => {});
  let text = '';
  socket.on('data', (c: Buffer) => (text += c.toString('latin1')));
  const closed = once(socket, 'close');
  await once(socket, 'secureConnect');
  socket.end('GET / HTTP/1.1\r\nHost: s.test\r\n\r\n'); // request, then FIN at once
  await closed;
  assert.doesNotMatch(text, /^HTTP\/1\.1 [45]/, 'no error answer for a half-close');
});

test('a client that opens a TCP connection to the HTTPS port and never finishes its handshake is cut at the head deadline', async (t) => {
  const { port } = await httpsRouter(t, { clientHeadersTimeoutMs: 300 });
  const started = Date.now();
  const socket = tcpConnect(port, '127.0.0.1');
  socket.on('error', () => {});
  t.after(() => socket.destroy());
  socket.write(Buffer.from([0x16, 0x03, 0x01])); // the start of a ClientHello, and nothing more
  await once(socket, 'close');
  const after = Date.now() - started;
  assert.ok(after >= 250 && after < 3_000, `cut near the 300 ms deadline, after ${after} ms`);
});
