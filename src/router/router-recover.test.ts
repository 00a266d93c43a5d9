// A request no server of its site took (every try refused: the one server crashed and its
// engine is restarting it; or the route lost its endpoints) is held and tried again until
// startHoldMs, instead of being answered 502 at once (recover-holds.ts). How it is tried:
// a site's only backend is closed, requests (GETs through the raw upstream, POSTs with a
// body through undici) are sent, the router is seen holding them (Router.recovering), and
// then a server comes back at the same address, or the route moves, or nothing comes.

import { describe, it } from 'node:test';
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { waitFor } from '../lib/wait.ts';
import { deadEndpoint, route, startBackend, startRouter } from './testing.ts';

const HOST = 's.test';

/** A server at port that answers its name and echoes a request's body. */
async function serveAt(port: number, name: string) {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => res.end(`${name}:${req.method}:${Buffer.concat(chunks).toString()}`));
  });
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

describe('a request no server took is held for the site to recover', () => {

  it('an upgrade (WebSocket) sent while the only server was down gets its 101 and tunnel from the server that came back', async (t) => {
    const first = await startBackend(t, 'first');
    const r = await startRouter(t, [route('s', [HOST], [first])], { startHoldMs: 30_000 });
    first.kill();
    await once(first.server, 'close');
    const answer = new Promise<{ status: number; socket?: Socket; head?: Buffer }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: r.port, headers: { host: HOST, connection: 'upgrade', upgrade: 'websocket' } });
      req.on('upgrade', (res, socket, head) => resolve({ status: res.statusCode ?? 0, socket, head }));
      req.on('response', (res) => resolve({ status: res.statusCode ?? 0 }));
      req.on('error', reject);
      req.end();
    });
    await waitFor(() => r.router.recovering('s') === 1, { what: 'the upgrade held while nothing listens' });
    const again = await serveAt(first.port, 'again');
    again.on('upgrade', (_req: IncomingMessage, socket: Socket) => {
      socket.write('HTTP/1.1 101 Switching Protocols\r\nconnection: upgrade\r\nupgrade: websocket\r\n\r\n');
      socket.pipe(socket);
    });
    t.after(() => again.close());
    const up = await answer;
    assert.equal(up.status, 101);
    t.after(() => up.socket?.destroy());
    up.socket!.write('ping');
    const [echo] = (await once(up.socket!, 'data')) as [Buffer];
    assert.equal(Buffer.concat([up.head!, echo]).toString(), 'ping');
    assert.equal(r.router.recovering('s'), 0);
  });
  it('the only server restarted at its address: every request sent while it was down is served, GETs and POSTs with a body', async (t) => {
    const first = await startBackend(t, 'first');
    const r = await startRouter(t, [route('s', [HOST], [first])], { startHoldMs: 30_000 });
    assert.equal((await r.send({ host: HOST })).body, 'first');
    first.kill();
    await once(first.server, 'close');
    const sent = [
      ...Array.from({ length: 6 }, (_, i) => r.send({ host: HOST, path: `/get/${i}` })),
      ...Array.from({ length: 4 }, (_, i) => r.send({ host: HOST, method: 'POST', path: `/post/${i}`, body: `order=${i}` })),
    ];
    await waitFor(() => r.router.recovering('s') === 10, { what: 'all ten held while nothing listens' });
    const again = await serveAt(first.port, 'again');
    t.after(() => again.close());
    const replies = await Promise.all(sent);
    assert.deepEqual(replies.map((x) => [x.status, x.body]), [
      ...Array.from({ length: 6 }, () => [200, 'again:GET:']),
      ...Array.from({ length: 4 }, (_, i) => [200, `again:POST:order=${i}`]),
    ]);
    assert.equal(r.router.recovering('s'), 0);
  });

  it('a held request follows the route: its endpoints gone, then a new one', async (t) => {
    const dead = await deadEndpoint('dead');
    const r = await startRouter(t, [route('s', [HOST], [dead])], { startHoldMs: 30_000 });
    const sent = [r.send({ host: HOST, path: '/a' }), r.send({ host: HOST, method: 'PUT', path: '/b', body: 'x' })];
    await waitFor(() => r.router.recovering('s') === 2, { what: 'both held' });
    r.router.updateRoutes({ put: [route('s', [HOST], [])], remove: [] }); // the engine took the dead server out
    const next = await startBackend(t, 'next');
    await waitFor(() => r.router.recovering('s') === 2, { what: 'still held with no endpoint' });
    r.router.updateRoutes({ put: [route('s', [HOST], [next])], remove: [] }); // its replacement is up
    assert.deepEqual((await Promise.all(sent)).map((x) => [x.status, x.body]), [[200, 'next'], [200, 'next']]);
    assert.deepEqual(next.seen.map((s) => `${s.method} ${s.url}`).sort(), ['GET /a', 'PUT /b']);
  });

  it('a GET whose connection broke, and whose retry was cut when its server left the route, waits for the next server', async (t) => {
    // a site's one server killed: the GET in flight breaks, its retry (a new connection) hangs
    // until the engine's word that the server is gone cuts it; no try is left, yet it may be replayed
    let n = 0;
    const dying = await startBackend(t, 'dying', (req) => {
      if (++n === 1) req.socket.destroy(); // the retry is held: it hangs
    });
    const r = await startRouter(t, [route('s', [HOST], [dying])], { startHoldMs: 30_000 });
    const sent = r.send({ host: HOST, path: '/page' });
    await waitFor(() => dying.seen.length === 2, { what: 'the retry at the server' });
    r.router.updateRoutes({ put: [route('s', [HOST], [])], remove: [] });
    r.router.abandonEndpoints([dying.endpoint]);
    await waitFor(() => r.router.recovering('s') === 1, { what: 'held' });
    const next = await startBackend(t, 'next');
    r.router.updateRoutes({ put: [route('s', [HOST], [next])], remove: [] });
    const reply = await sent;
    assert.deepEqual([reply.status, reply.body], [200, 'next']);
  });

  it('no server comes back: the request gets its 502 once startHoldMs has passed, and leaves the hold', async (t) => {
    const r = await startRouter(t, [route('s', [HOST], [await deadEndpoint('dead')])], { startHoldMs: 400 });
    const t0 = performance.now();
    const reply = await r.send({ host: HOST });
    assert.equal(reply.status, 502);
    assert.ok(performance.now() - t0 >= 380, `answered after ${Math.round(performance.now() - t0)} ms`);
    assert.equal(r.router.recovering('s'), 0);
  });

  it('startHoldMs 0: a refused request is answered 502 at once, never held', async (t) => {
    const r = await startRouter(t, [route('s', [HOST], [await deadEndpoint('dead')])], { startHoldMs: 0 });
    assert.equal((await r.send({ host: HOST })).status, 502);
    assert.equal(r.router.recovering('s'), 0);
  });

  it('a site that says never to retry (maxTries 1) gets its 502 at once', async (t) => {
    const r = await startRouter(t, [{ ...route('s', [HOST], [await deadEndpoint('dead')]), retry: { maxTries: 1 } }], { startHoldMs: 30_000 });
    assert.equal((await r.send({ host: HOST })).status, 502);
    assert.equal(r.router.recovering('s'), 0);
  });

  it('at most wakeQueue requests a site are held; past that, 502 at once; a client that leaves gives up its place', async (t) => {
    const r = await startRouter(t, [route('s', [HOST], [await deadEndpoint('dead')])], { startHoldMs: 30_000, wakeQueue: 2 });
    const held = [r.open({ host: HOST, path: '/1' }), r.open({ host: HOST, path: '/2' })];
    for (const h of held) h.res.catch(() => {});
    await waitFor(() => r.router.recovering('s') === 2, { what: 'two held' });
    assert.equal((await r.send({ host: HOST, path: '/3' })).status, 502, 'the third is not held');
    for (const h of held) h.req.destroy();
    await waitFor(() => r.router.recovering('s') === 0, { what: 'the clients that left leave the hold' });
  });

  it('the router closing answers its held requests at once', async (t) => {
    const r = await startRouter(t, [route('s', [HOST], [await deadEndpoint('dead')])], { startHoldMs: 30_000 });
    const sent = r.send({ host: HOST });
    await waitFor(() => r.router.recovering('s') === 1, { what: 'held' });
    const t0 = performance.now();
    const closing = r.router.close();
    assert.equal((await sent).status, 502);
    assert.ok(performance.now() - t0 < 5_000);
    await closing;
  });
});
