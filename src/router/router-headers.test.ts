import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Agent, request as httpRequest, type IncomingMessage } from 'node:http';
import { connect as h2connect } from 'node:http2';
import type { AddressInfo, Socket } from 'node:net';
import { selfSigned } from '../lib/tls-testing.ts';
import type { RouterOptions } from './options.ts';
import { buildRouter } from './router.ts';
import { h2Open, h2Reply, h2Session, rawRequest, route, startBackend, startRouter, type FrontKind } from './testing.ts';

/** What a client behind no trusted proxy may try: every forwarding header, some twice, in odd case. */
const SPOOFED = {
  'X-Forwarded-For': ['6.6.6.6', '7.7.7.7'],
  'x-forwarded-proto': 'https',
  'X-FORWARDED-HOST': 'evil.test',
  'x-forwarded-port': '443',
  'x-forwarded-prefix': '/admin',
  'x-forwarded-server': 'lb.evil.test',
  Forwarded: 'for=6.6.6.6;proto=https;host=evil.test',
  'X-Real-IP': '6.6.6.6',
  // CGI-style servers read these as HTTP_X_FORWARDED_FOR and HTTP_X_REAL_IP
  X_Forwarded_For: '6.6.6.6',
  x_real_ip: '6.6.6.6',
};

const FORWARDING = /^(?:forwarded|x[-_]real[-_]ip|x[-_]forwarded[-_].*)$/i;

/** A backend recording the forwarding headers of each request exactly as they arrived (raw, duplicates kept), lower-cased. */
async function recordingBackend(t: TestContext) {
  const seen: Array<Array<[string, string]>> = [];
  const backend = await startBackend(t, 'b', (req, res) => {
    const got: Array<[string, string]> = [];
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      if (FORWARDING.test(req.rawHeaders[i]!)) got.push([req.rawHeaders[i]!.toLowerCase(), req.rawHeaders[i + 1]!]);
    }
    seen.push(got.sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));
    req.resume();
    res.end('ok');
  });
  return { backend, seen };
}

/** Each front and upstream path: the raw front or node:http, over HTTP or HTTPS (HTTP/1.1), a bodiless GET (raw upstream) or a POST (undici). */
const PATHS: Array<{ name: string; opts: RouterOptions; method: string; body?: string; kind?: FrontKind }> = [
  { name: 'raw front, GET', opts: {}, method: 'GET' },
  { name: 'raw front, POST', opts: {}, method: 'POST', body: 'x' },
  { name: 'node:http front, GET', opts: { rawFront: false }, method: 'GET' },
  { name: 'node:http front, POST', opts: { rawFront: false }, method: 'POST', body: 'x' },
  { name: 'undici only, GET', opts: { rawUpstream: false }, method: 'GET' },
  { name: 'HTTPS raw front, GET', opts: {}, method: 'GET', kind: 'https' },
  { name: 'HTTPS raw front, POST', opts: {}, method: 'POST', body: 'x', kind: 'https' },
  { name: 'HTTPS node:http front, GET', opts: { rawFront: false }, method: 'GET', kind: 'https' },
];

for (const path of PATHS) {
  test(`a client's own forwarding headers are replaced by the router's (${path.name})`, async (t) => {
    const { backend, seen } = await recordingBackend(t);
    const proto = path.kind ?? 'http';
    const r = await startRouter(t, [route('s', ['s.test'], [backend])], path.opts, proto);
    const reply = await r.send({ host: 's.test:8080', method: path.method, headers: SPOOFED, ...(path.body ? { body: path.body } : {}) });
    assert.equal(reply.status, 200);
    assert.deepEqual(seen[0], [
      ['forwarded', `for=127.0.0.1;proto=${proto};host="s.test:8080"`],
      ['x-forwarded-for', '127.0.0.1'],
      ['x-forwarded-host', 's.test:8080'],
      ['x-forwarded-proto', proto],
      ['x-real-ip', '127.0.0.1'],
    ]);
  });

  test(`a trusted proxy's chain is extended (${path.name})`, async (t) => {
    const { backend, seen } = await recordingBackend(t);
    const proto = path.kind ?? 'http';
    const r = await startRouter(t, [route('s', ['s.test'], [backend])], { ...path.opts, trustedProxies: ['10.0.0.0/8', '127.0.0.1'] }, proto);
    const fromProxy = {
      'x-forwarded-for': '203.0.113.7, 10.1.2.3',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'www.s.test',
      'x-forwarded-port': '443',
      'x-real-ip': '10.1.2.3',
      x_forwarded_for: '6.6.6.6', // never, even from a trusted proxy
      forwarded: 'for=203.0.113.7;proto=https;host=www.s.test, for=10.1.2.3',
    };
    const reply = await r.send({ host: 's.test', method: path.method, headers: fromProxy, ...(path.body ? { body: path.body } : {}) });
    assert.equal(reply.status, 200);
    assert.deepEqual(seen[0], [
      ['forwarded', `for=203.0.113.7;proto=https;host=www.s.test, for=10.1.2.3, for=127.0.0.1;proto=${proto};host=s.test`],
      ['x-forwarded-for', '203.0.113.7, 10.1.2.3, 127.0.0.1'],
      ['x-forwarded-host', 'www.s.test'],
      ['x-forwarded-port', '443'],
      ['x-forwarded-proto', 'https'],
      ['x-real-ip', '203.0.113.7'], // the first hop from the right that is not a trusted proxy
    ]);
  });
}

// The engine's health checker marks its probes (X-Corral-Health: 1) so that an app may leave
// them out of its logs; a client cannot pass for one, through any path.
for (const path of PATHS) {
  test(`a client's X-Corral-Health never reaches the app (${path.name})`, async (t) => {
    const b = await startBackend(t, 'b');
    const r = await startRouter(t, [route('s', ['s.test'], [b])], { ...path.opts, trustedProxies: ['127.0.0.1'] }, path.kind ?? 'http');
    const reply = await r.send({ host: 's.test', method: path.method, headers: { 'X-Corral-Health': '1', 'x-corral-health': '1', 'x-app': 'kept' }, ...(path.body ? { body: path.body } : {}) });
    assert.equal(reply.status, 200);
    assert.equal(b.seen[0]!.headers['x-corral-health'], undefined, 'even from a trusted proxy');
    assert.equal(b.seen[0]!.headers['x-app'], 'kept');
  });
}

for (const kind of ['http', 'https'] as const) {
  test(`a client's X-Corral-Health never reaches the app through an upgrade (${kind})`, async (t) => {
    const b = await startBackend(t, 'ws');
    const upgrades: IncomingMessage[] = [];
    b.server.on('upgrade', (req: IncomingMessage, socket: Socket) => {
      upgrades.push(req);
      socket.end('HTTP/1.1 101 Switching Protocols\r\nconnection: upgrade\r\nupgrade: foo\r\n\r\n');
    });
    const r = await startRouter(t, [route('s', ['s.test'], [b])], {}, kind);
    const text = await rawRequest(r, 'GET / HTTP/1.1\r\nHost: s.test\r\nConnection: upgrade\r\nUpgrade: foo\r\nX-Corral-Health: 1\r\n\r\n');
    assert.match(text, /^HTTP\/1.1 101 /);
    assert.equal(upgrades[0]!.headers['x-corral-health'], undefined);
    assert.equal(upgrades[0]!.headers.upgrade, 'foo');
  });
}

test("over HTTP/2 a client's X-Corral-Health never reaches the app (raw upstream and undici)", async (t) => {
  const b = await startBackend(t, 'b');
  const r = await startRouter(t, [route('s', ['s.test'], [b])], {}, 'https');
  const session = h2Session(t, r);
  assert.equal((await h2Reply(h2Open(session, { host: 's.test', headers: { 'x-corral-health': '1' } }))).status, 200);
  const post = session.request({ ':method': 'POST', ':path': '/', ':authority': 's.test', 'x-corral-health': '1' });
  post.end('body');
  assert.equal((await h2Reply(post)).status, 200);
  assert.deepEqual(b.seen.map((s) => [s.method, s.headers['x-corral-health']]), [['GET', undefined], ['POST', undefined]]);
});

test('a peer outside the trusted list is an ordinary client', async (t) => {
  const { backend, seen } = await recordingBackend(t);
  const r = await startRouter(t, [route('s', ['s.test'], [backend])], { trustedProxies: ['10.0.0.0/8', '::1'] });
  await r.send({ host: 's.test', headers: SPOOFED });
  assert.deepEqual(seen[0]!.map(([name, value]) => `${name}: ${value}`), [
    'forwarded: for=127.0.0.1;proto=http;host=s.test',
    'x-forwarded-for: 127.0.0.1',
    'x-forwarded-host: s.test',
    'x-forwarded-proto: http',
    'x-real-ip: 127.0.0.1',
  ]);
});

test('an IPv6 client is quoted in Forwarded: for="[::1]"', async (t) => {
  const { backend, seen } = await recordingBackend(t);
  const router = buildRouter();
  router.setRoutes([route('s', ['s.test'], [backend])]);
  await new Promise<void>((resolve) => router.server.listen(0, '::1', resolve));
  t.after(() => router.destroy());
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = httpRequest({ host: '::1', port: (router.server.address() as AddressInfo).port, headers: { host: 's.test', ...SPOOFED } }, resolve);
    req.on('error', reject);
    req.end();
  });
  res.resume();
  assert.equal(res.statusCode, 200);
  assert.deepEqual(seen[0], [
    ['forwarded', 'for="[::1]";proto=http;host=s.test'],
    ['x-forwarded-for', '::1'],
    ['x-forwarded-host', 's.test'],
    ['x-forwarded-proto', 'http'],
    ['x-real-ip', '::1'],
  ]);
});

test("over HTTP/2 a client's own forwarding headers are replaced too, with proto=https", async (t) => {
  const { backend, seen } = await recordingBackend(t);
  const router = buildRouter({ tls: selfSigned(t, 'default.localhost', ['DNS:localhost']) });
  router.setRoutes([route('s', ['s.test'], [backend])]);
  const server = router.tlsServer!;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => router.destroy());
  const session = h2connect(`https://127.0.0.1:${(server.address() as AddressInfo).port}`, { rejectUnauthorized: false });
  t.after(() => session.close());
  const stream = session.request({ ':path': '/', ':authority': 's.test', ...SPOOFED });
  const [headers] = (await once(stream, 'response')) as [Record<string, string | number>];
  stream.resume();
  await once(stream, 'end');
  assert.equal(headers[':status'], 200);
  assert.deepEqual(seen[0], [
    ['forwarded', 'for=127.0.0.1;proto=https;host=s.test'],
    ['x-forwarded-for', '127.0.0.1'],
    ['x-forwarded-host', 's.test'],
    ['x-forwarded-proto', 'https'],
    ['x-real-ip', '127.0.0.1'],
  ]);
});

test('trustProxy is refused with a hint; a bad trusted proxy entry is refused', () => {
  assert.throws(() => buildRouter({ trustProxy: true } as RouterOptions), /trustProxy was replaced by trustedProxies/);
  assert.throws(() => buildRouter({ trustedProxies: ['10.0.0.0/33'] }), /trustedProxies: "10\.0\.0\.0\/33" is not an IP address or CIDR block/);
  assert.throws(() => buildRouter({ trustedProxies: ['lb.example.com'] }), /not an IP address or CIDR block/);
});

test('hop-by-hop request headers are not forwarded', async (t) => {
  const b = await startBackend(t, 'b');
  const r = await startRouter(t, [route('s', ['s.test'], [b])]);
  await r.send({
    host: 's.test',
    headers: {
      connection: 'keep-alive, x-hop',
      'x-hop': 'secret',
      'keep-alive': 'timeout=5',
      'proxy-connection': 'keep-alive',
      te: 'trailers',
      upgrade: 'h2c',
      'x-end-to-end': 'kept',
    },
  });
  const h = b.seen[0]!.headers;
  for (const name of ['x-hop', 'keep-alive', 'proxy-connection', 'te', 'upgrade']) assert.equal(h[name], undefined, name);
  assert.notEqual(h.connection, 'keep-alive, x-hop');
  assert.equal(h['x-end-to-end'], 'kept');
});

test('hop-by-hop response headers are not forwarded', async (t) => {
  const b = await startBackend(t, 'b', (_req, res) => {
    res.setHeader('connection', 'x-internal');
    res.setHeader('x-internal', 'secret');
    res.setHeader('keep-alive', 'timeout=99');
    res.setHeader('proxy-connection', 'keep-alive');
    res.setHeader('upgrade', 'foo');
    res.setHeader('set-cookie', ['a=1', 'b=2']);
    res.setHeader('x-app', 'kept');
    res.end('ok');
  });
  const r = await startRouter(t, [route('s', ['s.test'], [b])]);
  const reply = await r.send({ host: 's.test' });
  assert.equal(reply.body, 'ok');
  for (const name of ['x-internal', 'proxy-connection', 'upgrade']) assert.equal(reply.headers[name], undefined, name);
  assert.notEqual(reply.headers['keep-alive'], 'timeout=99');
  assert.deepEqual(reply.headers['set-cookie'], ['a=1', 'b=2']);
  assert.equal(reply.headers['x-app'], 'kept');
  assert.equal(reply.headers.via, '1.1 corral');
});

test('request bodies arrive intact, chunked or with a length', async (t) => {
  const b = await startBackend(t, 'echo', (req, res) => req.pipe(res));
  const r = await startRouter(t, [route('s', ['s.test'], [b])]);
  const sized = await r.send({ host: 's.test', method: 'PUT', body: 'x'.repeat(100_000) });
  assert.equal(sized.body, 'x'.repeat(100_000));
  const { req, res: response } = r.open({ host: 's.test', method: 'POST', headers: { 'transfer-encoding': 'chunked' }, stream: true });
  for (let i = 0; i < 3; i++) req.write(`part${i};`);
  req.end();
  const res = await response;
  res.setEncoding('utf8');
  let text = '';
  for await (const c of res) text += c;
  assert.equal(text, 'part0;part1;part2;');
});

test('Expect: 100-continue is answered by the router and the body still arrives', async (t) => {
  const b = await startBackend(t, 'echo', (req, res) => req.pipe(res));
  const r = await startRouter(t, [route('s', ['s.test'], [b])]);
  const { req, res: response } = r.open({ host: 's.test', method: 'POST', headers: { expect: '100-continue', 'content-length': '5' }, stream: true });
  req.on('continue', () => req.end('hello'));
  const res = await response;
  res.setEncoding('utf8');
  let text = '';
  for await (const c of res) text += c;
  assert.equal(text, 'hello');
  assert.equal(b.seen[0]!.headers.expect, undefined);
});

test("one keep-alive connection's requests each get their own Host in the router's forwarding headers (raw path, made once per connection and Host)", async (t) => {
  const { backend, seen } = await recordingBackend(t);
  const r = await startRouter(t, [route('s', ['s.test', 'www.s.test'], [backend])]);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  t.after(() => agent.destroy());
  const reused: boolean[] = [];
  for (const host of ['s.test', 'www.s.test', 'www.s.test', 's.test']) {
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: r.port, agent, headers: { host } }, resolve);
      req.on('error', reject);
      req.end();
      req.on('socket', () => reused.push(req.reusedSocket));
    });
    res.resume();
    await once(res, 'end');
    assert.equal(res.statusCode, 200);
  }
  assert.deepEqual(reused, [false, true, true, true], 'one connection throughout');
  const hosts = seen.map((got) => got.filter(([name]) => name === 'x-forwarded-host' || name === 'forwarded').map(([, v]) => v));
  assert.deepEqual(hosts, [
    ['for=127.0.0.1;proto=http;host=s.test', 's.test'],
    ['for=127.0.0.1;proto=http;host=www.s.test', 'www.s.test'],
    ['for=127.0.0.1;proto=http;host=www.s.test', 'www.s.test'],
    ['for=127.0.0.1;proto=http;host=s.test', 's.test'],
  ]);
});
