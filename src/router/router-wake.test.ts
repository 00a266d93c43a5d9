// Scale to zero at the router, on real sockets: a request for an idle site (route
// `idle`, no endpoint) is held, a wake is asked once, and the request is served once the
// route has an endpoint; a full queue and a wait past wakeTimeoutMs get 503 with
// Retry-After; a client that gives up leaves the queue; requests and open tunnels count
// as the site's load (takeLoad).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { once } from 'node:events';
import { waitFor } from '../lib/wait.ts';
import type { Route } from '../model/index.ts';
import { route, startBackend, startRouter, type TestRouter } from './testing.ts';
import { SiteLoad } from './site-load.ts';

const HOST = 'idle.test';

function idleRoute(): Route {
  return { ...route('idle', [HOST], []), idle: true };
}

/** Counts the wakes the router asks for. */
function wakes(r: TestRouter): string[] {
  const asked: string[] = [];
  r.router.onWake((site) => asked.push(site));
  return asked;
}

describe('router: requests for an idle site', () => {
  it('are held while a wake is asked (once), then served by the first endpoint', async (t) => {
    const r = await startRouter(t, [idleRoute()]);
    const asked = wakes(r);
    const replies = Array.from({ length: 5 }, () => r.send({ host: HOST }));
    await waitFor(() => asked.length > 0, { what: 'a wake asked' });
    // the five arrive one by one (the first one asks for the wake): each held one counts as load
    await waitFor(() => r.router.takeLoad().idle?.open === 5, { what: 'five held requests counted as load' });
    const backend = await startBackend(t, 'vs-1');
    r.router.setRoutes([route('idle', [HOST], [backend])]);
    for (const reply of await Promise.all(replies)) {
      assert.equal(reply.status, 200);
      assert.equal(reply.body, 'vs-1');
    }
    assert.deepEqual(asked, ['idle'], 'one wake for the five requests');
  });

  it('a route without `idle` and no endpoint holds its requests for startHoldMs, without a wake, then answers 503 ROUTER_NO_ENDPOINT', async (t) => {
    const r = await startRouter(t, [route('idle', [HOST], [])], { startHoldMs: 300 });
    const asked = wakes(r);
    const t0 = performance.now();
    const reply = await r.send({ host: HOST });
    const waited = performance.now() - t0;
    assert.equal(reply.status, 503);
    assert.equal(reply.headers['retry-after'], '1');
    assert.match(reply.body, /no healthy endpoint for site idle/);
    assert.ok(waited >= 280, `held ≈ 300 ms (${waited.toFixed(0)} ms)`);
    assert.deepEqual(asked, [], 'a site that is not idle is not woken');
  });

  it('a starting site (no endpoint yet, not idle): the held request is served by its first endpoint', async (t) => {
    const r = await startRouter(t, [route('idle', [HOST], [])]);
    const asked = wakes(r);
    const reply = r.send({ host: HOST });
    await waitFor(() => r.router.takeLoad().idle?.open === 1, { what: 'the request held' });
    const backend = await startBackend(t, 'vs-1');
    r.router.updateRoutes({ put: [route('idle', [HOST], [backend])], remove: [] });
    const served = await reply;
    assert.equal(served.status, 200);
    assert.equal(served.body, 'vs-1');
    assert.deepEqual(asked, []);
  });

  it('startHoldMs 0: a route without `idle` and no endpoint answers 503 at once', async (t) => {
    const r = await startRouter(t, [route('idle', [HOST], [])], { startHoldMs: 0 });
    const reply = await r.send({ host: HOST });
    assert.equal(reply.status, 503);
    assert.equal(reply.headers['retry-after'], '1');
  });

  it('a full queue answers 503 ROUTER_WAKE_QUEUE_FULL with Retry-After at once; the held ones are still served', async (t) => {
    const r = await startRouter(t, [idleRoute()], { wakeQueue: 2 });
    wakes(r);
    const held = [r.send({ host: HOST }), r.send({ host: HOST })];
    await waitFor(() => r.router.takeLoad().idle?.open === 2, { what: 'two held' });
    const over = await r.send({ host: HOST });
    assert.equal(over.status, 503);
    assert.equal(over.headers['retry-after'], '1');
    assert.match(over.body, /2 requests already wait/);
    const backend = await startBackend(t, 'vs-1');
    r.router.setRoutes([route('idle', [HOST], [backend])]);
    assert.deepEqual((await Promise.all(held)).map((x) => x.status), [200, 200]);
  });

  it('a wait past wakeTimeoutMs answers 503 ROUTER_WAKE_TIMEOUT with Retry-After', async (t) => {
    const r = await startRouter(t, [idleRoute()], { wakeTimeoutMs: 150 });
    wakes(r);
    const started = Date.now();
    const reply = await r.send({ host: HOST });
    assert.equal(reply.status, 503);
    assert.equal(reply.headers['retry-after'], '2');
    assert.match(reply.body, /starting from idle and was not ready within/);
    assert.ok(Date.now() - started >= 140);
  });

  it('a router that closes answers its held requests 503 at once, not after its drain', async (t) => {
    const r = await startRouter(t, [idleRoute()], { drainTimeoutMs: 30_000 });
    wakes(r);
    const held = r.send({ host: HOST });
    await waitFor(() => r.router.takeLoad().idle?.open === 1, { what: 'one held' });
    const started = Date.now();
    const closing = r.router.close();
    const reply = await held;
    assert.equal(reply.status, 503);
    assert.equal(reply.headers['retry-after'], '2');
    await closing;
    assert.ok(Date.now() - started < 5_000, `closed in ${Date.now() - started} ms`);
  });

  it('a client that goes away leaves the queue (its place is free again)', async (t) => {
    const r = await startRouter(t, [idleRoute()], { wakeQueue: 1 });
    wakes(r);
    const gone = r.open({ host: HOST });
    gone.res.catch(() => {});
    await waitFor(() => r.router.takeLoad().idle?.open === 1, { what: 'one held' });
    gone.req.destroy();
    await waitFor(() => r.router.takeLoad().idle === undefined, { what: 'the queue empty' });
    const next = r.send({ host: HOST });
    await waitFor(() => r.router.takeLoad().idle?.open === 1, { what: 'the next one held' });
    const backend = await startBackend(t, 'vs-1');
    r.router.setRoutes([route('idle', [HOST], [backend])]);
    assert.equal((await next).status, 200);
  });

  it('an upgrade (WebSocket) for an idle site is held too, and its open tunnel counts as load until it closes', async (t) => {
    const r = await startRouter(t, [idleRoute()]);
    const asked = wakes(r);
    const backend = await startBackend(t, 'vs-1');
    backend.server.on('upgrade', (_req: IncomingMessage, socket: Socket) => {
      socket.write('HTTP/1.1 101 Switching Protocols\r\nconnection: upgrade\r\nupgrade: websocket\r\n\r\n');
      socket.pipe(socket);
    });
    const tunnel = new Promise<Socket>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: r.port, headers: { host: HOST, connection: 'upgrade', upgrade: 'websocket' } });
      req.on('upgrade', (_res, socket) => resolve(socket));
      req.on('response', (res) => reject(new Error(`expected 101, got ${res.statusCode}`)));
      req.on('error', reject);
      req.end();
    });
    await waitFor(() => asked.length > 0, { what: 'a wake asked for the upgrade' });
    r.router.setRoutes([route('idle', [HOST], [backend])]);
    const socket = await tunnel;
    r.router.takeLoad();
    await new Promise((resolve) => setTimeout(resolve, 50)); // a slice of time for the mean
    const open = r.router.takeLoad().idle;
    assert.equal(open?.open, 1, 'the open tunnel is in flight');
    assert.ok((open?.concurrency ?? 0) > 0.9, `concurrency ${open?.concurrency}`);
    socket.destroy();
    await waitFor(() => r.router.takeLoad().idle === undefined, { what: 'no load once the tunnel closed' });
  });

  it('an upgrade for a starting site (no endpoint yet, not idle) waits for its first endpoint as a request does, without a wake; past startHoldMs, 503', async (t) => {
    const r = await startRouter(t, [route('idle', [HOST], [])], { startHoldMs: 400 });
    const asked = wakes(r);
    const backend = await startBackend(t, 'vs-1');
    backend.server.on('upgrade', (_req: IncomingMessage, socket: Socket) => {
      socket.write('HTTP/1.1 101 Switching Protocols\r\nconnection: upgrade\r\nupgrade: websocket\r\n\r\n');
      socket.pipe(socket);
    });
    const upgrade = () => new Promise<Socket | number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: r.port, headers: { host: HOST, connection: 'upgrade', upgrade: 'websocket' } });
      req.on('upgrade', (_res, socket) => resolve(socket));
      req.on('response', (res) => (res.resume(), resolve(res.statusCode ?? 0)));
      req.on('error', reject);
      req.end();
    });
    const t0 = performance.now();
    assert.equal(await upgrade(), 503, 'no endpoint within startHoldMs');
    assert.ok(performance.now() - t0 >= 380, 'held for startHoldMs first');
    const tunnel = upgrade();
    await waitFor(() => r.router.takeLoad().idle?.open === 1, { what: 'the upgrade held' });
    r.router.updateRoutes({ put: [route('idle', [HOST], [backend])], remove: [] });
    const socket = await tunnel;
    assert.ok(typeof socket !== 'number', `101 once the endpoint came, got ${String(socket)}`);
    socket.write('ping');
    const [echo] = (await once(socket, 'data')) as [Buffer];
    assert.equal(echo.toString(), 'ping');
    socket.destroy();
    assert.deepEqual(asked, [], 'a site that is not idle is not woken');
  });
});

describe('router: per-site load', () => {
  for (const kind of ['http', 'https'] as const) {
    it(`counts a request while it is in flight and not after (${kind}: raw front, node:http with a body)`, async (t) => {
      let release: () => void = () => {};
      const backend = await startBackend(t, 'vs-1', (req, res) => {
        req.resume();
        if (req.url === '/slow') release = () => res.end('slow');
        else res.end('quick');
      });
      const r = await startRouter(t, [route('busy', ['busy.test'], [backend])], {}, kind);
      assert.equal((await r.send({ host: 'busy.test' })).body, 'quick');
      assert.equal((await r.send({ host: 'busy.test', method: 'POST', body: 'x'.repeat(100) })).body, 'quick');
      const slow = r.send({ host: 'busy.test', path: '/slow' });
      await waitFor(() => backend.seen.length === 3, { what: 'the slow request at the backend' });
      const during = r.router.takeLoad().busy;
      assert.equal(during?.open, 1);
      assert.equal(during?.requests, 3);
      release();
      assert.equal((await slow).body, 'slow');
      await waitFor(() => r.router.takeLoad().busy === undefined, { what: 'nothing in flight' });
    });
  }
});

describe('SiteLoad', () => {
  it('reports the time-weighted mean in flight, the peak and the requests of each interval', () => {
    let now = 0;
    const load = new SiteLoad(() => now);
    const a = load.begin('s');
    now = 500;
    const b = load.begin('s');
    now = 1000;
    a();
    const first = load.take();
    assert.deepEqual(first.s, { concurrency: 1.5, peak: 2, requests: 2, open: 1 });
    now = 2000;
    b();
    assert.deepEqual(load.take().s, { concurrency: 1, peak: 1, requests: 0, open: 0 });
    assert.deepEqual(load.take(), {}, 'nothing left: the site drops out');
    const c = load.begin('s', false);
    c();
    c(); // twice is once
    assert.equal(load.open('s'), 0);
  });
});
