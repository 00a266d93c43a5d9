import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { request as httpsRequest } from 'node:https';
import { connect as h2connect, constants } from 'node:http2';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { connect as tlsConnect, type PeerCertificate } from 'node:tls';
import type { Route } from '../../model/index.ts';
import type { RouterOptions } from '../options.ts';
import { buildRouter } from '../router.ts';
import { route, startBackend } from '../testing.ts';
import { selfSigned } from '../../lib/tls-testing.ts';

async function startTlsRouter(t: TestContext, routes: Route[], opts: RouterOptions = {}) {
  const def = selfSigned(t, 'default.localhost', ['DNS:localhost']);
  const router = buildRouter({ ...opts, tls: def });
  router.setRoutes(routes);
  const server = router.tlsServer!;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => router.destroy());
  return { router, port: (server.address() as AddressInfo).port };
}

function peerCert(port: number, servername?: string): Promise<PeerCertificate> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false }, () => {
      resolve(s.getPeerCertificate());
      s.destroy();
    });
    s.on('error', reject);
  });
}

test('SNI picks each domain its own certificate: exact, then wildcard, else the default', async (t) => {
  const a = selfSigned(t, 'a.test', ['DNS:a.test']);
  const b = selfSigned(t, '*.b.test', ['DNS:*.b.test']);
  const { router, port } = await startTlsRouter(t, [route('a', ['a.test'], []), route('b', ['*.b.test'], [])]);
  router.setCertificates([
    { site: 'a', ...a },
    { site: 'b', ...b },
  ]);
  assert.equal((await peerCert(port, 'a.test')).subject.CN, 'a.test');
  assert.equal((await peerCert(port, 'A.TEST')).subject.CN, 'a.test');
  assert.equal((await peerCert(port, 'x.b.test')).subject.CN, '*.b.test');
  assert.equal((await peerCert(port, 'deep.x.b.test')).subject.CN, '*.b.test', 'the site domain matches any depth');
  assert.equal((await peerCert(port, 'other.test')).subject.CN, 'default.localhost');
  assert.equal((await peerCert(port)).subject.CN, 'default.localhost', 'no SNI → default');
  // live update: a replaced table takes effect for the next handshake
  router.setCertificates([{ site: 'b', ...b }]);
  assert.equal((await peerCert(port, 'a.test')).subject.CN, 'default.localhost');
});

test('a certificate that cannot be loaded is skipped, the others still serve', async (t) => {
  const a = selfSigned(t, 'a.test', ['DNS:a.test']);
  const c = selfSigned(t, 'c.test', ['DNS:c.test']);
  const { router, port } = await startTlsRouter(t, [route('a', ['a.test'], []), route('c', ['c.test'], [])]);
  router.setCertificates([
    { site: 'a', cert: a.cert, key: c.key },
    { site: 'c', ...c },
  ]);
  assert.equal((await peerCert(port, 'c.test')).subject.CN, 'c.test');
  assert.equal((await peerCert(port, 'a.test')).subject.CN, 'default.localhost');
});

test("a certificate serves only its own site's domains, whatever its SAN claims", async (t) => {
  const a = selfSigned(t, 'a.test', ['DNS:a.test']);
  const evil = selfSigned(t, 'evil', ['DNS:a.test', 'DNS:evil.test']);
  const { router, port } = await startTlsRouter(t, [route('a', ['a.test'], []), route('evil', ['evil.test'], [])]);
  router.setCertificates([
    { site: 'evil', ...evil },
    { site: 'a', ...a },
  ]);
  assert.equal((await peerCert(port, 'a.test')).subject.CN, 'a.test');
  router.setCertificates([{ site: 'evil', ...evil }]);
  assert.equal((await peerCert(port, 'a.test')).subject.CN, 'default.localhost', "never another site's certificate");
  assert.equal((await peerCert(port, 'evil.test')).subject.CN, 'evil');
  // routes change: the certificate follows the site's current domains
  router.setRoutes([route('a', ['a.test'], [])]);
  assert.equal((await peerCert(port, 'evil.test')).subject.CN, 'default.localhost');
});

test('HTTPS/1.1 goes through the same chain, with X-Forwarded-Proto: https', async (t) => {
  const be = await startBackend(t, 'site-a');
  const a = selfSigned(t, 'a.test', ['DNS:a.test']);
  const { router, port } = await startTlsRouter(t, [route('a', ['a.test'], [be])]);
  router.setCertificates([{ site: 'a', ...a }]);
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, servername: 'a.test', ca: a.cert, checkServerIdentity: () => undefined, headers: { host: 'a.test' } }, resolve);
    req.on('error', reject);
    req.end();
  });
  let body = '';
  for await (const c of res) body += String(c);
  assert.equal(res.statusCode, 200);
  assert.equal(body, 'site-a');
  assert.equal(be.seen[0]!.headers['x-forwarded-proto'], 'https');
  assert.equal(be.seen[0]!.headers.host, 'a.test');
});

async function h2get(port: number, authority: string, path = '/') {
  const session = h2connect(`https://127.0.0.1:${port}`, { servername: authority, rejectUnauthorized: false });
  session.on('error', () => {});
  try {
    const alpn = await new Promise<string | false>((resolve, reject) => {
      session.once('connect', () => resolve(session.alpnProtocol ?? false));
      session.once('error', reject);
    });
    const stream = session.request({ [constants.HTTP2_HEADER_PATH]: path, [constants.HTTP2_HEADER_AUTHORITY]: authority });
    const [headers] = (await once(stream, 'response')) as [Record<string, string | number>];
    let body = '';
    for await (const c of stream) body += String(c);
    return { alpn, status: Number(headers[':status']), headers, body };
  } finally {
    session.close();
  }
}

test('HTTP/2 by ALPN: :authority routes, the backend gets a clean HTTP/1.1 request', async (t) => {
  const be = await startBackend(t, 'h2-backend', (req, res) => {
    res.setHeader('connection', 'keep-alive, x-hop');
    res.setHeader('keep-alive', 'timeout=5');
    res.setHeader('x-hop', 'dropped');
    res.setHeader('x-kept', 'yes');
    res.end(`${req.method} ${req.url}`);
  });
  const { port } = await startTlsRouter(t, [route('a', ['a.test'], [be])]);
  const r = await h2get(port, 'a.test', '/p?q=1');
  assert.equal(r.alpn, 'h2');
  assert.equal(r.status, 200);
  assert.equal(r.body, 'GET /p?q=1');
  assert.equal(r.headers['x-kept'], 'yes');
  assert.equal(r.headers['x-hop'], undefined);
  const h = be.seen[0]!.headers;
  assert.equal(h.host, 'a.test');
  assert.equal(h['x-forwarded-proto'], 'https');
  assert.ok(!Object.keys(h).some((k) => k.startsWith(':')), 'no pseudo-headers upstream');
  const unknown = await h2get(port, 'nobody.test');
  assert.equal(unknown.status, 404);
  assert.match(unknown.body, /error id/);
});

test('an HTTP/2 request body without Content-Length reaches the backend whole', async (t) => {
  const be = await startBackend(t, 'echo', (req, res) => {
    let got = '';
    req.on('data', (c: Buffer) => (got += String(c)));
    req.on('end', () => res.end(`${req.method} ${got}`));
  });
  const { port } = await startTlsRouter(t, [route('a', ['a.test'], [be])]);
  const session = h2connect(`https://127.0.0.1:${port}`, { servername: 'a.test', rejectUnauthorized: false });
  t.after(() => session.close());
  const stream = session.request({ ':method': 'POST', ':path': '/', ':authority': 'a.test' });
  stream.write('hello ');
  stream.end('over h2');
  const [headers] = (await once(stream, 'response')) as [Record<string, string | number>];
  let body = '';
  for await (const c of stream) body += String(c);
  assert.equal(headers[':status'], 200);
  assert.equal(body, 'POST hello over h2');
});

test('an upgrade (WebSocket style) over HTTPS/1.1 is tunnelled', async (t) => {
  const be = await startBackend(t, 'ws');
  be.server.on('upgrade', (_req: IncomingMessage, socket: Socket) => {
    socket.write('HTTP/1.1 101 Switching Protocols\r\nconnection: upgrade\r\nupgrade: foo\r\n\r\n');
    socket.pipe(socket);
  });
  const { port } = await startTlsRouter(t, [route('s', ['s.test'], [be])]);
  const up = await new Promise<{ res: IncomingMessage; socket: Socket; head: Buffer }>((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, servername: 's.test', rejectUnauthorized: false, headers: { host: 's.test', connection: 'upgrade', upgrade: 'foo' } });
    req.on('upgrade', (res, socket, head) => resolve({ res, socket, head }));
    req.on('response', (res) => reject(new Error(`expected 101, got ${res.statusCode}`)));
    req.on('error', reject);
    req.end();
  });
  assert.equal(up.res.statusCode, 101);
  up.socket.write('ping over tls');
  let got = up.head.toString();
  while (got.length < 13) got += String(((await once(up.socket, 'data')) as [Buffer])[0]);
  assert.equal(got, 'ping over tls');
  up.socket.destroy();
});

test('a site with httpsRedirect sends plain HTTP to HTTPS with a 308; others and HTTPS are served', async (t) => {
  const be = await startBackend(t, 'be');
  const r = { ...route('r', ['r.test'], [be]), httpsRedirect: true };
  const { router, port: httpsPort } = await startTlsRouter(t, [r, route('p', ['p.test'], [be])]);
  router.setCertificates([{ site: 'r', ...selfSigned(t, 'r.test', ['DNS:r.test']) }]); // the redirect waits for one (https-policy.test.ts)
  await new Promise<void>((resolve) => router.server.listen(0, '127.0.0.1', resolve));
  const httpPort = (router.server.address() as AddressInfo).port;
  const get = (host: string, path: string) =>
    new Promise<IncomingMessage>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: httpPort, method: 'POST', path, headers: { host: `${host}:${httpPort}` } }, resolve);
      req.on('error', reject);
      req.end('body');
    });
  const redirected = await get('r.test', '/a/b?c=1');
  assert.equal(redirected.statusCode, 308);
  assert.equal(redirected.headers.location, `https://r.test:${httpsPort}/a/b?c=1`);
  redirected.resume();
  const plain = await get('p.test', '/');
  assert.equal(plain.statusCode, 200);
  plain.resume();
  assert.equal(be.seen.length, 1, 'the redirected request never reached the backend');
  const overTls = await h2get(httpsPort, 'r.test');
  assert.equal(overTls.status, 200);
});
