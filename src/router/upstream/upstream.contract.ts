// The upstream contract: what every Upstream (upstream.ts) must do, tried through a
// router with real backends — keep-alive reuse, one exchange per connection (no
// pipelining), bodies both ways (by length, chunked, read to the close), HEAD, 1xx not
// relayed, a reset answered with the documented 502 (or the connection cut once the
// answer has begun), a malformed or oversized response refused, the headers timeout
// (504), an abandoned endpoint's try moved on, upgrades. An upstream's test file calls
// upstreamContract() with the rawUpstream setting that picks it: raw-upstream.test.ts
// (the raw upstream, the default) and undici-upstream.test.ts (rawUpstream off).

import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createTcpServer, type Socket } from 'node:net';
import type { Route } from '../../model/index.ts';
import { waitFor } from '../../lib/wait.ts';
import type { RouterOptions } from '../options.ts';
import { listen as listenTcp } from './raw-upstream.testing.ts';
import { route, startBackend, startRouter, type TestRouter } from '../testing.ts';

export type UpstreamName = 'raw' | 'undici';

/**
 * What the two upstreams do differently, in one place:
 * - carriesBodies: the raw upstream carries bodiless requests of HTTP/1.x clients only;
 *   a request with a body (and every HTTP/2 client's) goes through undici even with
 *   rawUpstream on, so the body cases try undici in both suites.
 * - timeoutSlackMs: the raw upstream checks its deadlines in one sweep per pool (every
 *   quarter of the shortest, 10–100 ms), so one fires up to two sweeps late; undici's
 *   timeouts run on its own coarse timers (ticks of about half a second), so one may fire
 *   up to a second late.
 * Upgrades take neither: proxy-upgrade.ts tunnels a raw socket whatever the setting.
 */
export const UPSTREAM_DIFFERENCES: Record<UpstreamName, { carriesBodies: boolean; timeoutSlackMs: number }> = {
  raw: { carriesBodies: false, timeoutSlackMs: 200 },
  undici: { carriesBodies: true, timeoutSlackMs: 1_200 },
};

export function upstreamContract(upstream: UpstreamName): void {
  const rawUpstream = upstream === 'raw';
  const start = (t: TestContext, routes: Route[], opts: RouterOptions = {}): Promise<TestRouter> => startRouter(t, routes, { ...opts, rawUpstream });

  describe(`upstream contract: ${upstream}`, () => {
    test(`keep-alive: sequential requests reuse one upstream connection`, async (t) => {
      const b = await startBackend(t, 'b');
      let connections = 0;
      b.server.on('connection', () => connections++);
      const r = await start(t, [route('s', ['s.test'], [b])]);
      for (let i = 0; i < 5; i++) assert.equal((await r.send({ host: 's.test' })).body, 'b');
      assert.equal(connections, 1);
    });

    test(`HEAD gets the headers and no body; 1xx responses are not relayed`, async (t) => {
      const b = await startBackend(t, 'b', (req, res) => {
        if (req.url === '/hints') res.writeEarlyHints({ link: '</a.css>; rel=preload' });
        res.writeHead(200, { 'content-length': '5', 'x-kind': req.method });
        res.end(req.method === 'HEAD' ? undefined : 'hello');
      });
      const r = await start(t, [route('s', ['s.test'], [b])]);
      const head = await r.send({ host: 's.test', method: 'HEAD' });
      assert.equal(head.status, 200);
      assert.equal(head.headers['content-length'], '5');
      assert.equal(head.body, '');
      const hinted = await r.send({ host: 's.test', path: '/hints' });
      assert.equal(hinted.status, 200);
      assert.equal(hinted.body, 'hello');
      assert.equal((await r.send({ host: 's.test' })).body, 'hello'); // the connection is still in step
    });

    test(`a body delimited by the backend closing the connection arrives whole`, async (t) => {
      const tcp = createTcpServer((s) => {
        s.once('data', () => s.end('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end'));
      });
      const port = await listenTcp(t, tcp);
      const r = await start(t, [route('s', ['s.test'], [{ vs: 'raw', address: '127.0.0.1', port, release: 'r1' }])]);
      const reply = await r.send({ host: 's.test' });
      assert.equal(reply.status, 200);
      assert.equal(reply.body, 'until the end');
    });

    test(`a malformed upstream response is a 502, not relayed`, async (t) => {
      const tcp = createTcpServer((s) => {
        s.once('data', () => s.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'));
      });
      const port = await listenTcp(t, tcp);
      const r = await start(t, [route('s', ['s.test'], [{ vs: 'raw', address: '127.0.0.1', port, release: 'r1' }])]);
      assert.equal((await r.send({ host: 's.test' })).status, 502);
    });

    test(`a backend that closes its idle keep-alive connections costs no request`, async (t) => {
      const b = await startBackend(t, 'b', (_req, res) => res.end('ok'));
      b.server.keepAliveTimeout = 1; // closes each connection right after its response
      const r = await start(t, [route('s', ['s.test'], [b])]);
      for (let i = 0; i < 20; i++) assert.equal((await r.send({ host: 's.test' })).status, 200);
    });

    test(`keep-alive with bodies: sequential POSTs reuse one upstream connection too`, async (t) => {
      const b = await startBackend(t, 'b', (req, res) => req.pipe(res));
      let connections = 0;
      b.server.on('connection', () => connections++);
      const r = await start(t, [route('s', ['s.test'], [b])]);
      for (let i = 0; i < 3; i++) assert.equal((await r.send({ host: 's.test', method: 'POST', body: `n${i}` })).body, `n${i}`);
      assert.equal(connections, 1);
    });

    test(`no pipelining: concurrent requests to one endpoint each get a connection of their own`, async (t) => {
      const held: Array<() => void> = [];
      const b = await startBackend(t, 'b', (req, res) => held.push(() => res.end(req.url)));
      let connections = 0;
      b.server.on('connection', () => connections++);
      const r = await start(t, [route('s', ['s.test'], [b])]);
      const replies = Promise.all(['/a', '/b', '/c'].map((path) => r.send({ host: 's.test', path })));
      await waitFor(() => held.length === 3, { what: 'three requests at the backend at once' });
      assert.equal(connections, 3);
      held.forEach((release) => release());
      assert.deepEqual((await replies).map((x) => x.body), ['/a', '/b', '/c']);
    });

    test(`bodies both ways: request bodies by length and chunked arrive whole; response lengths kept, unknown lengths chunked (UPSTREAM_DIFFERENCES)`, async (t) => {
      const b = await startBackend(t, 'b', (req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const body = `${req.method} ${Buffer.concat(chunks).toString()}`;
          if (req.url === '/fixed') res.writeHead(200, { 'content-length': String(Buffer.byteLength(body)) });
          res.write(body); // else no length: node sends it chunked
          res.end();
        });
      });
      const r = await start(t, [route('s', ['s.test'], [b])]);
      const fixed = await r.send({ host: 's.test', path: '/fixed', method: 'POST', body: 'x'.repeat(3000) });
      assert.equal(fixed.body, `POST ${'x'.repeat(3000)}`);
      assert.equal(fixed.headers['content-length'], String(3005));
      const { req, res } = r.open({ host: 's.test', path: '/chunked', method: 'PUT', headers: { 'transfer-encoding': 'chunked' }, stream: true });
      req.write('first,');
      req.end('second');
      const streamed = await res;
      let text = '';
      for await (const c of streamed) text += String(c);
      assert.equal(text, 'PUT first,second');
      assert.equal(streamed.headers['transfer-encoding'], 'chunked');
      const get = await r.send({ host: 's.test', path: '/fixed' });
      assert.equal(get.body, 'GET ');
    });

    test(`an endpoint that resets the connection before answering is the documented 502 (ROUTER_UPSTREAM_FAILED); mid-answer, the client's connection is cut`, async (t) => {
      const b = await startBackend(t, 'b', (req, res) => {
        if (req.url === '/mid') {
          res.writeHead(200, { 'content-length': '100' });
          res.write('partial');
          setImmediate(() => req.socket.resetAndDestroy());
        } else req.socket.resetAndDestroy();
      });
      const r = await start(t, [route('s', ['s.test'], [b])]);
      const reply = await r.send({ host: 's.test' });
      assert.equal(reply.status, 502);
      assert.match(reply.body, /^.*\nerror id: [0-9a-f]{8}\n$/);
      assert.equal(reply.headers['x-corral-error-id'], /error id: ([0-9a-f]{8})/.exec(reply.body)![1]);
      const cut = await r.send({ host: 's.test', path: '/mid' }).then(
        () => 'answered',
        () => 'cut',
      );
      assert.equal(cut, 'cut', 'a response that broke off is not passed off as whole');
    });

    test(`a reset retried on another endpoint costs a GET nothing`, async (t) => {
      const reset = await startBackend(t, 'reset', (req) => req.socket.resetAndDestroy());
      const ok = await startBackend(t, 'ok');
      const r = await start(t, [route('s', ['s.test'], [reset, ok])]);
      for (let i = 0; i < 4; i++) assert.equal((await r.send({ host: 's.test' })).body, 'ok');
    });

    test(`headers that do not come within headersTimeoutMs are a 504 (ROUTER_UPSTREAM_TIMEOUT) (UPSTREAM_DIFFERENCES)`, async (t) => {
      const b = await startBackend(t, 'b', (req, res) => {
        req.resume();
        setTimeout(() => res.end('late'), 5_000).unref();
      });
      const r = await start(t, [route('s', ['s.test'], [b])], { headersTimeoutMs: 300, perTryTimeoutMs: 0 });
      const started = performance.now();
      const reply = await r.send({ host: 's.test' });
      const ms = performance.now() - started;
      assert.equal(reply.status, 504);
      assert.match(reply.body, /error id: /);
      assert.ok(ms >= 290 && ms < 300 + UPSTREAM_DIFFERENCES[upstream].timeoutSlackMs + 400, `answered after ${Math.round(ms)} ms`);
    });

    test(`a response head over 16 KiB is refused: 502, not relayed`, async (t) => {
      const b = await startBackend(t, 'b', (req, res) => {
        res.setHeader('x-big', 'a'.repeat(req.url === '/big' ? 40_000 : 8_000));
        res.end('ok');
      });
      const r = await start(t, [route('s', ['s.test'], [b])]);
      assert.equal((await r.send({ host: 's.test', path: '/fits' })).status, 200);
      const big = await r.send({ host: 's.test', path: '/big' });
      assert.equal(big.status, 502);
      assert.equal(big.headers['x-big'], undefined);
    });

    test(`a try in flight to an abandoned endpoint fails at once and moves on to another`, async (t) => {
      const hung = await startBackend(t, 'hung', (req) => req.resume()); // never answers
      const ok = await startBackend(t, 'ok');
      const r = await start(t, [route('s', ['s.test'], [hung])]);
      const pending = r.send({ host: 's.test' });
      await waitFor(() => hung.seen.length === 1, { what: 'the try to reach the endpoint' });
      r.router.setRoutes([route('s', ['s.test'], [ok])]);
      r.router.abandonEndpoints([hung.endpoint]);
      assert.equal((await pending).body, 'ok');
    });

    test(`an upgrade is tunnelled whatever the upstream setting`, async (t) => {
      const b = await startBackend(t, 'ws');
      b.server.on('upgrade', (_req, socket: Socket) => {
        socket.write('HTTP/1.1 101 Switching Protocols\r\nconnection: upgrade\r\nupgrade: websocket\r\n\r\n');
        socket.pipe(socket);
      });
      const r = await start(t, [route('s', ['s.test'], [b])]);
      const c = r.connect();
      t.after(() => c.destroy());
      let text = '';
      c.on('data', (d: Buffer) => (text += d.toString('latin1')));
      c.write('GET /ws HTTP/1.1\r\nHost: s.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
      await waitFor(() => text.includes('\r\n\r\n'), { what: 'the 101' });
      assert.match(text, /^HTTP\/1.1 101 /);
      c.write('echo me');
      await waitFor(() => text.endsWith('echo me'), { what: 'the echo' });
    });
  });
}
