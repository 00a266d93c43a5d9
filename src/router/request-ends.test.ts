// Every way a request can end, told once at the chain's end (request-ends.ts): the
// autoscaler's in-flight count (Router.takeLoad) rises while a request is open and falls
// back to exactly 0, the access log has one line per answered request with its status and,
// when the router answered, its code (an unknown Host's too, without a site), and
// Router.onFinished hears each request of a known site once. Run on both fronts (raw,
// node:http) × both listeners (plain, HTTPS/1.1) × both upstreams (raw, undici), and over
// HTTP/2; what differs between them (FRONT_DIFFERENCES, UPSTREAM_DIFFERENCES) changes none
// of these.

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { request, type IncomingMessage } from 'node:http';
import { connect as h2connect, constants } from 'node:http2';
import { request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import { describe, test, type TestContext } from 'node:test';
import { waitFor } from '../lib/wait.ts';
import type { Route } from '../model/index.ts';
import { captureLog, FRONTS, rawRequest, route, startBackend, startRouter, type FrontKind, type TestRouter } from './testing.ts';

const FRONT_NAMES = ['raw', 'node'] as const;
const UPSTREAM_NAMES = ['raw', 'undici'] as const;

for (const front of FRONT_NAMES) {
  for (const upstream of UPSTREAM_NAMES) {
    describe(`request ends: ${front} front, ${upstream} upstream`, () => {
      for (const kind of FRONTS) {
        test(`each way of ending: in flight back to 0 once, one access line with its status and code, one end heard (${kind})`, async (t) => {
          const h = await harness(t, kind, front === 'raw', upstream === 'raw');

          await t.test('answered in full (bodiless, and with a body)', async () => {
            assert.equal((await h.r.send({ host: 's.test', path: '/ok' })).status, 200);
            await h.ended('/ok', 200, true);
            assert.equal((await h.r.send({ host: 's.test', method: 'POST', path: '/post', body: 'hello' })).body, 'ok');
            await h.ended('/post', 200, true);
          });

          await t.test('the client leaves before the answer', async () => {
            const { req, res } = h.r.open({ host: 's.test', path: '/hang' });
            res.catch(() => {});
            req.on('error', () => {});
            await waitFor(() => h.hanging.length === 1, { what: 'the request at the backend' });
            assert.equal(h.inFlight('s'), 1, 'counted while open');
            req.destroy();
            await h.ended('/hang', 0, false);
            const hung = h.hanging.shift()!;
            await waitFor(() => hung.closed, { what: 'the try cut at the backend' });
          });

          await t.test('the upstream resets the connection (502)', async () => {
            assert.equal((await h.r.send({ host: 's.test', path: '/reset' })).status, 502);
            await h.ended('/reset', 502, true, 's', 'ROUTER_UPSTREAM_FAILED');
          });

          await t.test('the try times out (504)', async () => {
            assert.equal((await h.r.send({ host: 'slow.test', path: '/hang' })).status, 504);
            await h.ended('/hang', 504, true, 'slow', 'ROUTER_UPSTREAM_TIMEOUT');
            h.hanging.shift()?.destroy();
          });

          await t.test('1xx before the answer (Early Hints)', async () => {
            const reply = await h.r.send({ host: 's.test', path: '/hints' });
            assert.equal(reply.status, 200);
            assert.equal(reply.body, 'hinted');
            await h.ended('/hints', 200, true);
          });

          await t.test('a WebSocket upgrade, open then closed: load while open, no access line', async () => {
            const socket = await upgrade(h.r);
            await waitFor(() => h.inFlight('s') === 1, { what: 'the tunnel counted' });
            socket.destroy();
            await waitFor(() => h.inFlight('s') === 0, { what: 'the tunnel uncounted' });
            h.expectNothingNew();
          });

          await t.test('refused: an unknown host (404), a bad target and a rate limit of a known site', async () => {
            assert.equal((await h.r.send({ host: 'nowhere.test', path: '/nowhere' })).status, 404);
            await h.unrouted('/nowhere', 404); // an access line without a site; no end heard
            const bad = await rawRequest(h.r, 'GET http://user@s.test/x HTTP/1.1\r\nHost: s.test\r\n\r\n');
            assert.match(bad, /^HTTP\/1.1 400 /);
            await h.ended('http://user@s.test/x', 400, true, 's', 'ROUTER_BAD_REQUEST'); // never forwarded, never load
            assert.equal((await h.r.send({ host: 'limited.test' })).status, 200);
            await h.ended('/', 200, true, 'limited');
            assert.equal((await h.r.send({ host: 'limited.test' })).status, 429);
            await h.ended('/', 429, true, 'limited', 'ROUTER_RATE_LIMITED');
            h.expectNothingNew();
          });

          await t.test('held for an idle site (scaled to zero): the client leaves, then one times out (503); never forwarded', async () => {
            const held = h.r.open({ host: 'idle.test', path: '/held' });
            held.res.catch(() => {});
            held.req.on('error', () => {});
            await waitFor(() => h.inFlight('idle') === 1, { what: 'the held request counted' });
            held.req.destroy();
            await h.ended('/held', 0, false, 'idle');
            assert.equal((await h.r.send({ host: 'idle.test', path: '/late' })).status, 503);
            await h.ended('/late', 503, true, 'idle', 'ROUTER_WAKE_TIMEOUT');
            h.expectNothingNew();
          });

          assert.deepEqual(h.r.router.takeLoad(), {}, 'nothing in flight, nothing below 0');
        });
      }
    });
  }
}

for (const upstream of UPSTREAM_NAMES) {
  test(`HTTP/2 (node:http2, the ${upstream} upstream): answered, cut by the client, upstream reset: in flight back to 0, one access line each`, async (t) => {
    const h = await harness(t, 'https', true, upstream === 'raw');
    const session = h2connect(`https://127.0.0.1:${h.r.port}`, { servername: 's.test', rejectUnauthorized: false });
    t.after(() => session.destroy());
    let received = 0; // the last reply's body bytes as the client got them
    const get = async (path: string): Promise<number> => {
      const stream = session.request({ ':path': path, ':authority': 's.test' });
      const [headers] = (await once(stream, 'response')) as [Record<string, string | number>];
      received = 0;
      for await (const chunk of stream) received += (chunk as Buffer).length;
      return Number(headers[':status']);
    };
    assert.equal(await get('/ok'), 200);
    const ok = await h.ended('/ok', 200, true);
    assert.equal(ok.bytes, 2, "HTTP/2: the body's bytes (the stream's headers are compressed per connection)");
    const cut = session.request({ ':path': '/hang', ':authority': 's.test' });
    cut.on('error', () => {});
    await waitFor(() => h.hanging.length === 1, { what: 'the request at the backend' });
    assert.equal(h.inFlight('s'), 1, 'counted while open');
    cut.close(constants.NGHTTP2_CANCEL);
    await h.ended('/hang', 0, false);
    const hung = h.hanging.shift()!;
    await waitFor(() => hung.closed, { what: 'the try cut at the backend' });
    assert.equal(await get('/reset'), 502);
    const refused = await h.ended('/reset', 502, true, 's', 'ROUTER_UPSTREAM_FAILED');
    assert.ok(received > 0);
    assert.equal(refused.bytes, received, "the router's own 502 page, written with end(body): counted once");
    assert.deepEqual(h.r.router.takeLoad(), {}, 'nothing in flight, nothing below 0');
  });
}

interface Harness {
  r: TestRouter;
  /** Backend sockets of requests left unanswered (/hang). */
  hanging: Socket[];
  /** What Router.onFinished heard, in order. */
  finished: Array<{ site: string; status: number; aborted: boolean }>;
  /** Ends heard so far and checked. */
  seen: number;
  inFlight(site: string): number;
  /** The next request to end was `path` of site: one access line with this status (and the router's code, if it answered), one end heard, nothing in flight. */
  ended(path: string, status: number, complete: boolean, site?: string, code?: string): Promise<Record<string, unknown>>;
  /** The next request to end was `path` for no known site: one access line without a site, no end heard. */
  unrouted(path: string, status: number): Promise<void>;
  /** No access line and no end since the last check. */
  expectNothingNew(): void;
}

async function harness(t: TestContext, kind: FrontKind, rawFront: boolean, rawUpstream: boolean): Promise<Harness> {
  const hanging: Socket[] = [];
  const b = await startBackend(t, 'b', (req, res) => {
    req.resume();
    if (req.url === '/hang') return void hanging.push(req.socket);
    if (req.url === '/reset') return void req.socket.destroy();
    if (req.url === '/hints') res.writeEarlyHints({ link: '</a.css>; rel=preload' });
    res.end(req.url === '/hints' ? 'hinted' : 'ok');
  });
  b.server.on('upgrade', (_req: IncomingMessage, socket: Socket) => {
    socket.write('HTTP/1.1 101 Switching Protocols\r\nconnection: upgrade\r\nupgrade: websocket\r\n\r\n');
    socket.pipe(socket);
  });
  const routes: Route[] = [
    route('s', ['s.test'], [b]),
    { ...route('slow', ['slow.test'], [b]), retry: { perTryTimeoutMs: 200, maxTries: 1 } },
    { ...route('limited', ['limited.test'], [b]), limits: { requestsPerSecond: 1, burst: 1 } },
    { ...route('idle', ['idle.test'], []), idle: true },
  ];
  const { log, events } = captureLog();
  const r = await startRouter(t, routes, { accessLog: log, rawFront, rawUpstream, wakeTimeoutMs: 300 }, kind);
  const finished: Harness['finished'] = [];
  r.router.onFinished((site, status, _ms, aborted) => void finished.push({ site, status, aborted }));
  let lines = 0;
  const inFlight = (site: string) => r.router.takeLoad()[site]?.open ?? 0;
  const h: Harness = {
    r,
    hanging,
    finished,
    seen: 0,
    inFlight,
    async ended(path, status, complete, site = 's', code?: string) {
      await waitFor(() => events('access').length > lines && finished.length > h.seen, { what: `${site} ${path} ended` });
      const access = events('access');
      assert.equal(access.length, lines + 1, 'one access line');
      assert.equal(finished.length, h.seen + 1, 'one end heard');
      const line = access[lines]!;
      assert.deepEqual([line.site, line.path, line.status, line.complete, line.code], [site, path, status, complete, code]);
      assert.deepEqual(finished[h.seen], { site, status: status || 200, aborted: !complete });
      lines++;
      h.seen++;
      assert.equal(inFlight(site), 0, 'in flight back to exactly 0');
      return line;
    },
    async unrouted(path, status) {
      await waitFor(() => events('access').length > lines, { what: `${path} ended` });
      const access = events('access');
      assert.equal(access.length, lines + 1, 'one access line');
      const line = access[lines]!;
      assert.deepEqual([line.site, line.path, line.status, line.answeredBy, line.code], [undefined, path, status, 'router', 'ROUTER_UNKNOWN_HOST']);
      lines++;
      h.expectNothingNew();
    },
    expectNothingNew() {
      assert.equal(events('access').length, lines, 'no access line');
      assert.equal(finished.length, h.seen, 'no end heard');
    },
  };
  return h;
}

/** An upgrade through the router: the tunnel's client socket once 101 arrived. */
async function upgrade(r: TestRouter): Promise<Socket> {
  const options = { host: '127.0.0.1', port: r.port, headers: { host: 's.test', connection: 'upgrade', upgrade: 'websocket' } };
  const req = r.kind === 'https' ? httpsRequest({ ...options, servername: 's.test', rejectUnauthorized: false }) : request(options);
  req.end();
  const [, socket] = (await once(req, 'upgrade')) as [IncomingMessage, Socket];
  return socket;
}
