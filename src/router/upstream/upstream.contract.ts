// The upstream contract: what every Upstream (upstream.ts) must do, tried through a
// router with real backends — keep-alive reuse, one exchange per connection (no
// pipelining), bodies both ways (by length, chunked, read to the close), HEAD, 1xx not
// relayed, a reset answered with the documented 502 (or the connection cut once the
// answer has begun), a malformed or oversized response refused, the headers timeout
// (504), an abandoned endpoint's try moved on, upgrades. An upstream's test file calls
// upstreamContract() with the rawUpstream setting that picks it: raw-upstream.test.ts
// (the raw upstream, the default) and undici-upstream.test.ts (rawUpstream off).

import { once } from 'node:events';
import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createTcpServer, type Socket } from 'node:net';
import type { ServerResponse } from 'node:http';
import type { Route } from '../../model/index.ts';
import { waitFor } from '../../lib/wait.ts';
import type { RouterOptions } from '../options.ts';
import { constants } from 'node:http2';
import { listen as listenTcp } from './raw-upstream.testing.ts';
import { h2Open, h2Reply, h2Session, route, startBackend, startRouter, type TestRouter } from '../testing.ts';

export type UpstreamName = 'raw' | 'undici';

/**
 * What the two upstreams do differently, in one place:
 * - carriesBodies: the raw upstream carries bodiless requests only (of HTTP/1.x and
 *   HTTP/2 clients alike); a request with a body goes through undici even with
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

    test(`HTTP/2 clients: a bodiless request goes the same way as HTTP/1.1's (one upstream connection for both); HEAD gets no body`, async (t) => {
      const b = await startBackend(t, 'b', (req, res) => {
        res.writeHead(200, { 'content-length': '5', 'x-method': req.method });
        res.end(req.method === 'HEAD' ? undefined : 'hello');
      });
      let connections = 0;
      b.server.on('connection', () => connections++);
      const r = await startRouter(t, [route('s', ['s.test'], [b])], { rawUpstream }, 'https');
      const session = h2Session(t, r);
      const got = await h2Reply(h2Open(session, { host: 's.test', path: '/p?q=1' }));
      assert.equal(got.status, 200);
      assert.equal(got.body.toString(), 'hello');
      assert.equal(b.seen[0]!.url, '/p?q=1');
      assert.equal(b.seen[0]!.headers.host, 's.test', ':authority becomes Host');
      assert.equal((await r.send({ host: 's.test' })).body, 'hello');
      const head = await h2Reply(h2Open(session, { host: 's.test', method: 'HEAD' }));
      assert.equal(head.status, 200);
      assert.equal(head.headers['content-length'], '5');
      assert.equal(head.body.length, 0);
      assert.equal(connections, 1, 'HTTP/2 and HTTP/1.1 requests through the same upstream, one keep-alive connection');
    });

    test(`HTTP/2 clients: a response head HTTP/2 cannot carry never reaches node:http2 (it would throw): connection-specific headers left out, a repeated single-value header sent once (the last), a status over 599 a 502; the connection serves on`, async (t) => {
      const b = await startBackend(t, 'b', (req, res) => {
        res.setHeader('http2-settings', 'AAMAAABkAAQAAP__');
        res.setHeader('content-type', ['text/plain', 'text/html']);
        res.setHeader('x-content-type-options', ['sniff', 'nosniff']);
        res.setHeader('set-cookie', ['a=1', 'b=2']); // not single-valued: both kept
        res.end('page');
      });
      const tcp = createTcpServer((s) => s.on('data', () => s.write('HTTP/1.1 600 Beyond\r\nContent-Length: 2\r\n\r\nno')));
      const port = await listenTcp(t, tcp);
      const weird = { vs: 'weird', address: '127.0.0.1', port, release: 'r1' };
      const r = await startRouter(t, [route('s', ['s.test'], [b]), route('w', ['w.test'], [weird])], { rawUpstream }, 'https');
      const session = h2Session(t, r);
      const got = await h2Reply(h2Open(session, { host: 's.test' }));
      assert.equal(got.status, 200);
      assert.equal(got.body.toString(), 'page');
      assert.equal(got.headers['http2-settings'], undefined);
      assert.equal(got.headers['content-type'], 'text/html');
      assert.equal(got.headers['x-content-type-options'], 'nosniff');
      assert.deepEqual(got.headers['set-cookie'], ['a=1', 'b=2']);
      const beyond = await h2Reply(h2Open(session, { host: 'w.test' }));
      assert.equal(beyond.status, 502);
      assert.match(beyond.body.toString(), /error id: /);
      assert.equal(beyond.headers['x-corral-error-id'] !== undefined, true);
      assert.equal((await h2Reply(h2Open(session, { host: 's.test' }))).status, 200, 'the same connection goes on');
      // an HTTP/1.1 client gets the backend's head as it was sent (repeats kept)
      const h1 = await r.send({ host: 's.test' });
      assert.equal(h1.headers['http2-settings'], undefined, 'hop-by-hop for every client');
      assert.equal(h1.headers['x-content-type-options'], 'sniff, nosniff');
    });

    test(`HTTP/2 clients: a large response paced by the client's flow control arrives whole, the backend held back meanwhile; a stream the client cancels drops its upstream connection`, async (t) => {
      const size = 16 * 1024 * 1024; // more than loopback's socket buffers hold: the backend must be paused
      let drains = 0;
      let cutAtBackend = false;
      const b = await startBackend(t, 'b', (req, res) => {
        if (req.url === '/slow') {
          res.writeHead(200, { 'content-type': 'text/plain' });
          const timer = setInterval(() => res.write('tick\n'), 20);
          res.on('close', () => {
            clearInterval(timer);
            cutAtBackend = !res.writableFinished;
          });
          return;
        }
        sendXs(res, size, () => drains++);
      });
      const r = await startRouter(t, [route('s', ['s.test'], [b])], { rawUpstream }, 'https');
      const session = h2Session(t, r);
      const big = h2Open(session, { host: 's.test' });
      const response = once(big, 'response');
      // nothing reads the stream for now: its window fills, then the router's buffers
      await waitFor(() => drains > 0, { what: 'the backend held back by the unread response' });
      assert.equal(((await response) as [Record<string, unknown>])[0][':status'], 200);
      let bytes = 0;
      let allX = true;
      big.on('data', (c: Buffer) => {
        bytes += c.length;
        allX &&= c.every((x) => x === 120 /* x */);
      });
      await once(big, 'end');
      assert.equal(bytes, size);
      assert.ok(allX);
      const slow = h2Open(session, { host: 's.test', path: '/slow' });
      const [headers] = (await once(slow, 'response')) as [Record<string, unknown>];
      assert.equal(headers[':status'], 200);
      await once(slow, 'data');
      slow.close(constants.NGHTTP2_CANCEL);
      await waitFor(() => cutAtBackend, { what: "the backend's response cut when the client cancelled" });
      assert.equal((await h2Reply(h2Open(session, { host: 's.test' }))).body.length, size, 'the connection goes on');
    });

    test(`a client that takes none of its reply for clientSendTimeoutMs is cut — HTTP/1.1 its connection, HTTP/2 its stream alone — and the upstream response with it; a client that reads slowly is not`, async (t) => {
      // A write waits for the kernel to take the whole chunk, and the kernel says a socket is
      // writable again only once a third of its send buffer (megabytes on loopback) is free:
      // a reader's drains come hundreds of ms apart even at megabytes a second.
      const SEND_TIMEOUT = 1_000;
      const size = 32 * 1024 * 1024; // far more than loopback's socket buffers hold
      const SLOW = 12 * 1024 * 1024; // read at ≈ 6 MB/s: longer than the send timeout in all
      const cuts: string[] = [];
      const b = await startBackend(t, 'b', (req, res) => {
        res.on('close', () => { if (!res.writableFinished) cuts.push(req.url ?? ''); });
        sendXs(res, req.url === '/slow-reader' ? SLOW : size);
      });
      const routes = [route('s', ['s.test'], [b])];
      const opts = { rawUpstream, clientSendTimeoutMs: SEND_TIMEOUT };

      // HTTP/1.1: a client that asks and never reads
      const r = await startRouter(t, routes, opts);
      const stalled = r.connect();
      t.after(() => stalled.destroy());
      stalled.on('error', () => {});
      stalled.pause();
      const asked = performance.now();
      stalled.write('GET /h1-stall HTTP/1.1\r\nhost: s.test\r\n\r\n');
      await waitFor(() => cuts.includes('/h1-stall'), { what: 'the stalled reply cut at the backend', timeoutMs: 10_000 });
      assert.ok(performance.now() - asked >= SEND_TIMEOUT, 'not before the send timeout');
      // a client that reads, slowly, gets every byte
      const slow = r.connect();
      t.after(() => slow.destroy());
      slow.write('GET /slow-reader HTTP/1.1\r\nhost: s.test\r\nconnection: close\r\n\r\n');
      let got = 0;
      slow.on('data', (c: Buffer) => {
        got += c.length;
        slow.pause();
        setTimeout(() => slow.resume(), 10);
      });
      const reading = performance.now();
      await once(slow, 'end');
      assert.ok(got > SLOW, `the slow reader got it all (${got} bytes)`);
      assert.ok(performance.now() - reading > SEND_TIMEOUT, 'and took longer than the send timeout');
      assert.ok(!cuts.includes('/slow-reader'));

      // HTTP/2: the stalled stream is reset, the connection serves on
      const h = await startRouter(t, routes, opts, 'https');
      const session = h2Session(t, h);
      const stuck = h2Open(session, { host: 's.test', path: '/h2-stall' });
      stuck.on('error', () => {}); // the reset: asserted on below
      const closed = new Promise((resolve) => stuck.on('close', resolve));
      await waitFor(() => cuts.includes('/h2-stall'), { what: 'the stalled stream cut at the backend', timeoutMs: 10_000 });
      await closed;
      assert.notEqual(stuck.rstCode, constants.NGHTTP2_NO_ERROR, 'the stream was reset');
      const next = await h2Reply(h2Open(session, { host: 's.test', path: '/slow-reader' }));
      assert.equal(next.body.length, SLOW, 'the same connection serves on');
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

/** A response of `size` bytes of 'x' (a multiple of 64 KiB), written as the client takes it; `held` hears each wait for 'drain'. */
function sendXs(res: ServerResponse, size: number, held?: () => void): void {
  res.writeHead(200, { 'content-length': String(size) });
  const chunk = Buffer.alloc(64 * 1024, 'x');
  let sent = 0;
  const pump = (): void => {
    while (sent < size) {
      sent += chunk.length;
      if (!res.write(chunk)) {
        held?.();
        res.once('drain', pump);
        return;
      }
    }
    res.end();
  };
  pump();
}
