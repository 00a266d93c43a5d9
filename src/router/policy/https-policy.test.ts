// A site's HTTPS policy in the router: the HTTP→HTTPS redirect and HSTS wait until the
// Host has a valid certificate (its site's own, covering the name, in date — never the
// default development one), and HSTS is sent on HTTPS answers only, whichever front
// (raw HTTP/1.1, node:http, HTTP/2) and whoever answers (the backend or the router).

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect as h2connect } from 'node:http2';
import { request as httpsRequest } from 'node:https';
import { connect as tcp, type AddressInfo, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import { test, type TestContext } from 'node:test';
import { pino } from 'pino';
import { selfSigned } from '../../lib/tls-testing.ts';
import type { Route } from '../../model/index.ts';
import { hstsValue } from './hsts.ts';
import type { RouterOptions } from '../options.ts';
import { buildRouter, type Router } from '../router.ts';
import { route, startBackend } from '../testing.ts';
import { CertificateStore } from '../front/tls-certificates.ts';

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
}

/** A router listening on plain HTTP and HTTPS; its default certificate covers s.test too (a development certificate must not count). */
async function startBoth(t: TestContext, routes: Route[], opts: RouterOptions = {}) {
  const router = buildRouter({ ...opts, tls: selfSigned(t, 'default.localhost', ['DNS:localhost', 'DNS:s.test', 'DNS:*.test']) });
  router.setRoutes(routes);
  const listen = (server: Router['server'] | NonNullable<Router['tlsServer']>) =>
    new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
  const httpPort = await listen(router.server);
  const httpsPort = await listen(router.tlsServer!);
  t.after(() => router.destroy());
  return { router, httpPort, httpsPort };
}

function get(port: number, host: string, https = false, alpn?: string[]): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const options = { host: '127.0.0.1', port, path: '/p?q=1', headers: { host }, agent: false as const };
    const done = (res: import('node:http').IncomingMessage) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    };
    const req = https ? httpsRequest({ ...options, servername: host, rejectUnauthorized: false, ...(alpn ? { ALPNProtocols: alpn } : {}) }, done) : httpRequest(options, done);
    req.on('error', reject);
    req.end();
  });
}

async function h2get(t: TestContext, port: number, host: string): Promise<Answer> {
  const session = h2connect(`https://127.0.0.1:${port}`, { servername: host, rejectUnauthorized: false });
  t.after(() => session.close());
  const stream = session.request({ ':path': '/', ':authority': host });
  const [headers] = (await once(stream, 'response')) as [IncomingHttpHeaders & { ':status': number }];
  stream.resume();
  await once(stream, 'end');
  return { status: headers[':status'], headers };
}

test('the HTTPS redirect waits for a valid certificate of the site: none, the default one or another name\'s → served over HTTP; its own → 308', async (t) => {
  const b = await startBackend(t, 'b');
  const { router, httpPort, httpsPort } = await startBoth(t, [{ ...route('s', ['s.test', 'www.s.test'], [b]), httpsRedirect: true }, route('o', ['o.test'], [b])]);
  assert.equal((await get(httpPort, 's.test')).status, 200, 'no site certificate: the default (development) one does not count');
  router.setCertificates([{ site: 's', ...selfSigned(t, 'other', ['DNS:o.test']) }]);
  assert.equal((await get(httpPort, 's.test')).status, 200, "a certificate that does not cover the Host");
  router.setCertificates([{ site: 'o', ...selfSigned(t, 'o', ['DNS:s.test']) }]);
  assert.equal((await get(httpPort, 's.test')).status, 200, "another site's certificate, even naming s.test");
  router.setCertificates([{ site: 's', ...selfSigned(t, 's.test', ['DNS:s.test']) }]);
  const redirected = await get(httpPort, 's.test:80');
  assert.equal(redirected.status, 308);
  assert.equal(redirected.headers.location, `https://s.test:${httpsPort}/p?q=1`);
  assert.equal((await get(httpPort, 'www.s.test')).status, 200, 'a domain of the site its certificate does not cover waits');
  router.setCertificates([]);
  assert.equal((await get(httpPort, 's.test')).status, 200, 'the certificate removed: no redirect again');
  assert.equal(b.seen.length, 5, 'only the redirected request never reached the backend');
});

test('validFor: only a site certificate within its dates, covering the name (a wildcard covers one label)', (t) => {
  const store = new CertificateStore(pino({ level: 'silent' }));
  store.setRoutes(bySite(route('s', ['s.test'], []), route('w', ['*.w.test'], [])));
  store.setCertificates([{ site: 's', ...selfSigned(t, 's.test', ['DNS:s.test']) }, { site: 'w', ...selfSigned(t, '*.w.test', ['DNS:*.w.test']) }]);
  const now = Date.now();
  const day = 86_400_000;
  assert.equal(store.validFor('s.test', now), true);
  assert.equal(store.validFor('s.test', now + 3 * day), false, 'expired (the test certificate lasts 2 days)');
  assert.equal(store.validFor('s.test', now - day), false, 'not yet valid');
  assert.equal(store.validFor('a.w.test', now), true);
  assert.equal(store.validFor('a.b.w.test', now), false, '*.w.test does not cover two labels below');
  assert.equal(store.validFor('w.test', now), false);
  assert.equal(store.validFor('', now), false);
});

test('validFor follows per-site route updates: a site gains and loses names; another site\'s change keeps them', (t) => {
  const store = new CertificateStore(pino({ level: 'silent' }));
  const s1 = route('s', ['s.test'], []);
  const other = route('o', ['o.test'], []);
  store.setRoutes(bySite(s1, other));
  store.setCertificates([{ site: 's', ...selfSigned(t, 's.test', ['DNS:s.test', 'DNS:www.s.test']) }]);
  assert.equal(store.validFor('www.s.test'), false, 'not a domain of s yet');
  const s2 = route('s', ['s.test', 'www.s.test'], []);
  store.updateRoutes(bySite(s2, other), [s1, s2]);
  assert.equal(store.validFor('www.s.test'), true);
  const o2 = route('o', ['o.test', 'o2.test'], []);
  store.updateRoutes(bySite(s2, o2), [other, o2]);
  assert.equal(store.validFor('s.test'), true);
  store.updateRoutes(bySite(o2), [s2]); // s removed
  assert.equal(store.validFor('s.test'), false);
});

test('hstsValue: max-age, then includeSubDomains and preload when set', () => {
  assert.equal(hstsValue({ maxAgeSeconds: 300 }), 'max-age=300');
  assert.equal(hstsValue({ maxAgeSeconds: 31_536_000, includeSubDomains: true, preload: true }), 'max-age=31536000; includeSubDomains; preload');
  assert.equal(hstsValue({ maxAgeSeconds: 0, includeSubDomains: false }), 'max-age=0');
});

const HSTS = { maxAgeSeconds: 31_536_000, includeSubDomains: true };
const STS = 'max-age=31536000; includeSubDomains';

for (const front of [{ name: 'raw front', opts: {} }, { name: 'node:http front', opts: { rawFront: false } }, { name: 'undici upstream', opts: { rawUpstream: false } }]) {
  test(`HSTS over HTTPS only, once the certificate is valid, replacing a backend's own; cookies kept (${front.name})`, async (t) => {
    const b = await startBackend(t, 'b', (req, res) => {
      req.resume();
      res.setHeader('strict-transport-security', 'max-age=1');
      res.setHeader('set-cookie', ['a=1', 'b=2']);
      res.end('ok');
    });
    const { router, httpPort, httpsPort } = await startBoth(t, [{ ...route('s', ['s.test'], [b]), hsts: HSTS }, route('e', ['e.test'], [])], front.opts);
    const before = await get(httpsPort, 's.test', true);
    assert.equal(before.headers['strict-transport-security'], 'max-age=1', 'no valid certificate yet: the backend\'s own passes untouched');
    router.setCertificates([{ site: 's', ...selfSigned(t, 's.test', ['DNS:s.test']) }]);
    for (const alpn of [['http/1.1'], undefined]) {
      const over = await get(httpsPort, 's.test', true, alpn);
      assert.equal(over.status, 200);
      assert.equal(over.headers['strict-transport-security'], STS);
      assert.deepEqual(over.headers['set-cookie'], ['a=1', 'b=2']);
    }
    const h2 = await h2get(t, httpsPort, 's.test');
    assert.equal(h2.headers['strict-transport-security'], STS, 'HTTP/2');
    const plain = await get(httpPort, 's.test');
    assert.equal(plain.headers['strict-transport-security'], 'max-age=1', 'plain HTTP: the router adds nothing');
  });
}

test("HSTS is on the router's own answers over HTTPS too (503: no endpoint), and only for the site that sets it", async (t) => {
  const b = await startBackend(t, 'b');
  const { router, httpsPort } = await startBoth(t, [{ ...route('s', ['s.test'], []), hsts: { maxAgeSeconds: 600 } }, route('o', ['o.test'], [b])]);
  router.setCertificates([{ site: 's', ...selfSigned(t, 's.test', ['DNS:s.test']) }, { site: 'o', ...selfSigned(t, 'o.test', ['DNS:o.test']) }]);
  const down = await get(httpsPort, 's.test', true);
  assert.equal(down.status, 503);
  assert.equal(down.headers['strict-transport-security'], 'max-age=600');
  const other = await get(httpsPort, 'o.test', true);
  assert.equal(other.status, 200);
  assert.equal(other.headers['strict-transport-security'], undefined);
});

function bySite(...routes: Route[]): Map<string, Route> {
  return new Map(routes.map((r) => [r.site, r]));
}

test('an unchanged certificate keeps its TLS context when another site\'s changes; a changed one gets a new context', (t) => {
  const store = new CertificateStore(pino({ level: 'silent' }));
  store.setRoutes(bySite(route('s', ['s.test'], []), route('o', ['o.test'], [])));
  const s = { site: 's', ...selfSigned(t, 's.test', ['DNS:s.test']) };
  store.setCertificates([s, { site: 'o', ...selfSigned(t, 'o.test', ['DNS:o.test']) }]);
  const before = store.lookup('s.test');
  const otherBefore = store.lookup('o.test');
  assert.ok(before && otherBefore);
  store.setCertificates([s, { site: 'o', ...selfSigned(t, 'o.test', ['DNS:o.test']) }]); // o renewed
  assert.equal(store.lookup('s.test'), before, 's kept its context');
  assert.notEqual(store.lookup('o.test'), otherBefore, 'o got one for its new certificate');
  store.setCertificates([{ ...s, key: s.key }]);
  assert.equal(store.lookup('s.test'), before);
  assert.equal(store.lookup('o.test'), undefined, 'o has none now: the default serves it');
});

/** The first line and the headers of the answer to an upgrade sent over `socket` (plain or TLS). */
async function upgradeAnswer(socket: Socket, host: string): Promise<{ status: string; location?: string }> {
  socket.write(`GET /ws HTTP/1.1\r\nhost: ${host}\r\nconnection: upgrade\r\nupgrade: websocket\r\nsec-websocket-version: 13\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`);
  let text = '';
  for await (const chunk of socket) {
    text += String(chunk);
    if (text.includes('\r\n\r\n')) break;
  }
  socket.destroy();
  const [first = '', ...lines] = text.split('\r\n');
  const location = lines.find((l) => l.toLowerCase().startsWith('location:'))?.slice('location:'.length).trim();
  return { status: first, ...(location ? { location } : {}) };
}

for (const front of [{ name: 'raw front', opts: {} }, { name: 'node:http front', opts: { rawFront: false } }]) {
  test(`a plain-HTTP upgrade (ws://) to a site with the HTTPS redirect gets the 308, never a tunnel in the clear; over HTTPS it is tunnelled (${front.name})`, async (t) => {
    const b = await startBackend(t, 'b');
    b.server.on('upgrade', (_req, socket: Duplex) => socket.end('HTTP/1.1 101 Switching Protocols\r\nconnection: upgrade\r\nupgrade: websocket\r\n\r\n'));
    const { router, httpPort, httpsPort } = await startBoth(t, [{ ...route('s', ['s.test'], [b]), httpsRedirect: true }], front.opts);
    const plain = () => tcp({ host: '127.0.0.1', port: httpPort });
    assert.match((await upgradeAnswer(plain(), 's.test')).status, /^HTTP\/1\.1 101 /, 'no valid certificate yet: tunnelled, as a request is served');
    router.setCertificates([{ site: 's', ...selfSigned(t, 's.test', ['DNS:s.test']) }]);
    const redirected = await upgradeAnswer(plain(), 's.test');
    assert.match(redirected.status, /^HTTP\/1\.1 308 /);
    assert.equal(redirected.location, `https://s.test:${httpsPort}/ws`);
    const secure = tlsConnect({ host: '127.0.0.1', port: httpsPort, servername: 's.test', rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] });
    await once(secure, 'secureConnect');
    assert.match((await upgradeAnswer(secure, 's.test')).status, /^HTTP\/1\.1 101 /, 'wss:// reaches the site');
  });
}
