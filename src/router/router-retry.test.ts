import { test } from 'node:test';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import assert from 'node:assert/strict';
import { waitFor } from '../lib/wait.ts';
import { captureLog, deadEndpoint, route, startBackend, startRouter } from './testing.ts';

test('round robin spreads requests evenly', async (t) => {
  const backends = await Promise.all(['a', 'b', 'c'].map((n) => startBackend(t, n)));
  const r = await startRouter(t, [route('s', ['s.test'], backends)]);
  const counts: Record<string, number> = {};
  for (let i = 0; i < 30; i++) {
    const { body } = await r.send({ host: 's.test' });
    counts[body] = (counts[body] ?? 0) + 1;
  }
  assert.deepEqual(counts, { a: 10, b: 10, c: 10 });
});

test('a backend killed under load fails no GET', async (t) => {
  const [a, b] = await Promise.all([startBackend(t, 'a'), startBackend(t, 'b')]);
  const { log, events } = captureLog();
  // a long ejection: on a slow machine the run can outlast the default 3 s and eject a twice
  const r = await startRouter(t, [route('s', ['s.test'], [a, b])], { log, ejectMs: 60_000 });
  const statuses: number[] = [];
  let done = 0;
  const worker = async () => {
    while (done < 400) {
      done++;
      if (done === 100) a.kill();
      statuses.push((await r.send({ host: 's.test', path: `/${done}` })).status);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  assert.equal(statuses.length, 400);
  assert.deepEqual(statuses.filter((s) => s !== 200), []);
  assert.ok(a.seen.length > 0 && b.seen.length > 200, `a ${a.seen.length}, b ${b.seen.length}`);
  assert.deepEqual(events('endpoint.ejected').map((e) => e.vs), ['a']);
});

test('GET, HEAD, OPTIONS and DELETE are retried when the connection breaks before a response', async (t) => {
  const broken = await startBackend(t, 'broken', (req) => req.socket.destroy());
  const ok = await startBackend(t, 'ok');
  const r = await startRouter(t, [route('s', ['s.test'], [broken, ok])]);
  for (const method of ['GET', 'HEAD', 'OPTIONS', 'DELETE', 'GET', 'GET']) {
    assert.equal((await r.send({ host: 's.test', method })).status, 200, method);
  }
});

test('a GET retried after its connection broke goes on a new connection, and the server\'s idle ones are closed', async (t) => {
  // a server that broke one connection has most likely died with all of them: a retry on its
  // next idle connection broke too, and two breaks answer 502 (a site's one server, killed);
  // the router may not have read the other connections' resets yet, so it closes them
  for (const rawUpstream of [true, false]) {
    const path = rawUpstream ? 'raw' : 'undici';
    let connections = 0;
    let open = 0;
    let broken = false;
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const b = await startBackend(t, 'b', (req, res) => {
      if (req.url === '/break' && !broken) {
        broken = true;
        return req.socket.destroy();
      }
      if (req.url === '/slow') return void gate.then(() => res.end('slow'));
      res.end('b');
    });
    b.server.on('connection', (socket) => {
      connections++;
      open++;
      socket.on('close', () => open--);
    });
    const r = await startRouter(t, [route('s', ['s.test'], [b])], { rawUpstream });
    const slow = [r.send({ host: 's.test', path: '/slow' }), r.send({ host: 's.test', path: '/slow' })];
    await waitFor(() => b.seen.length === 2, { what: 'two connections to the server' });
    release();
    await Promise.all(slow); // two idle connections in the router's pool now
    assert.equal(connections, 2, path);
    const reply = await r.send({ host: 's.test', path: '/break' });
    assert.equal(reply.status, 200, path);
    assert.equal(connections, 3, `${path}: the retry opened a new connection; the idle one was not taken`);
    // well before any keep-alive timeout (4 s): only the retry's connection is left
    await waitFor(() => open === 1, { timeoutMs: 1_500, what: `${path}: the other idle connection closed by the router` });
  }
});

test('a POST that may have reached the backend is never retried', async (t) => {
  let posts = 0;
  const reset = (req: import('node:http').IncomingMessage) => {
    req.resume();
    req.on('end', () => {
      posts++;
      req.socket.destroy();
    });
  };
  const [a, b] = await Promise.all([startBackend(t, 'a', reset), startBackend(t, 'b', reset)]);
  const r = await startRouter(t, [route('s', ['s.test'], [a, b])]);
  const reply = await r.send({ host: 's.test', method: 'POST', body: 'order=1' });
  assert.equal(reply.status, 502);
  assert.match(reply.body, /^site s did not answer/);
  assert.equal(posts, 1);
  assert.equal(a.seen.length + b.seen.length, 1);
});

test('a POST is retried when the connection was refused (it never left)', async (t) => {
  const dead = await deadEndpoint('dead');
  let got = '';
  const ok = await startBackend(t, 'ok', (req, res) => {
    req.setEncoding('utf8');
    req.on('data', (c: string) => (got += c));
    req.on('end', () => res.end('stored'));
  });
  const r = await startRouter(t, [route('s', ['s.test'], [dead, ok])]);
  const reply = await r.send({ host: 's.test', method: 'POST', body: 'order=2' });
  assert.equal(reply.status, 200);
  assert.equal(got, 'order=2');
});

test('every endpoint down → 502; an ejected endpoint is skipped, then tried again', async (t) => {
  const dead = await deadEndpoint('dead');
  const { log, events } = captureLog();
  // startHoldMs 0: answered at once, not held for the site to recover (router-recover.test.ts)
  const r = await startRouter(t, [route('s', ['s.test'], [dead])], { log, ejectMs: 100, startHoldMs: 0 });
  assert.equal((await r.send({ host: 's.test' })).status, 502);
  assert.equal(events('endpoint.ejected').length, 1);
  const live = await startBackend(t, 'live');
  r.router.setRoutes([route('s', ['s.test'], [dead, live])]);
  for (let i = 0; i < 4; i++) assert.equal((await r.send({ host: 's.test' })).body, 'live');
  // When the ejection ends, the dead endpoint gets a try again (and the request is retried).
  await waitFor(async () => (await r.send({ host: 's.test' })).status === 200 && events('endpoint.ejected').length === 2, {
    what: 'a second ejection',
  });
});

test('a request the backend never answers gets a 504', async (t) => {
  const silent = await startBackend(t, 'silent', () => {});
  const r = await startRouter(t, [route('s', ['s.test'], [silent])], { headersTimeoutMs: 100 });
  const reply = await r.send({ host: 's.test' });
  assert.equal(reply.status, 504);
  assert.equal(silent.seen.length, 1);
});

test('a GET that breaks the connection of two endpoints is not tried on a third (a query of death would take every replica down); one break is retried', async (t) => {
  const hit: string[] = [];
  const killer = (name: string) => (req: IncomingMessage, res: ServerResponse) => {
    hit.push(name);
    if (req.url === '/crash') return void req.socket.destroy(); // as an app that dies of this request
    res.end(name);
  };
  const backends = await Promise.all(['a', 'b', 'c', 'd'].map((n) => startBackend(t, n, killer(n))));
  for (const rawUpstream of [true, false]) {
    hit.length = 0;
    const r = await startRouter(t, [route('s', ['s.test'], backends)], { rawUpstream, ejectMs: 1 });
    const reply = await r.send({ host: 's.test', path: '/crash' });
    assert.equal(reply.status, 502, rawUpstream ? 'raw' : 'undici');
    assert.equal(hit.length, 2, `${rawUpstream ? 'raw' : 'undici'}: two endpoints took it, not four (${hit.join(', ')})`);
  }
});

test('a GET whose retry broke again on the same one server (its closing listener took the new connection) waits for the server and is served', async (t) => {
  // a killed server: the GET's connection resets, and so does the new one of its retry, which
  // the dying process's listener accepted before it closed — one death, not a query of death
  for (const rawUpstream of [true, false]) {
    let accepted = 0;
    const b = await startBackend(t, 'back', (req, res) => {
      if (req.url === '/page' && b.seen.length === 1) return void req.socket.destroy();
      res.end('back');
    });
    b.server.on('connection', (socket) => {
      if (++accepted === 2) socket.destroy(); // the retry's connection, reset as the listener closes
    });
    const r = await startRouter(t, [route('s', ['s.test'], [b])], { rawUpstream, startHoldMs: 10_000 });
    const reply = await r.send({ host: 's.test', path: '/page' });
    const path = rawUpstream ? 'raw' : 'undici';
    assert.deepEqual([reply.status, reply.body], [200, 'back'], path);
    assert.equal(accepted, 3, `${path}: the request was held and sent on a third connection`);
    assert.equal(b.seen.length, 2, path);
  }
});

test('a GET that breaks the one server of its site again after it came back is answered 502, not held again (a query of death)', async (t) => {
  let hits = 0;
  const b = await startBackend(t, 'b', (req) => {
    hits++;
    req.socket.destroy(); // as an app that dies of this request
  });
  for (const rawUpstream of [true, false]) {
    hits = 0;
    const r = await startRouter(t, [route('s', ['s.test'], [b])], { rawUpstream, startHoldMs: 10_000 });
    const t0 = performance.now();
    const reply = await r.send({ host: 's.test', path: '/crash' });
    const path = rawUpstream ? 'raw' : 'undici';
    assert.equal(reply.status, 502, path);
    // the first break and its retry's (the same death, as far as the router can tell), then once after a hold
    assert.equal(hits, 3, path);
    assert.ok(performance.now() - t0 < 5_000, `${path}: answered after ${Math.round(performance.now() - t0)} ms, not at the end of the hold`);
  }
});

test('a GET whose connection broke is retried at another address (another host) when there is one: a dead host with two endpoints fails no request', async (t) => {
  // host A (127.0.0.2): two endpoints whose connections break once a request arrives, as a crashed engine's forwarder does; host B: one that answers
  const brokenAt = async (name: string) => {
    const server = createServer((req) => req.socket.destroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.2', resolve));
    t.after(() => server.close());
    return { vs: name, address: '127.0.0.2', port: (server.address() as AddressInfo).port, release: 'r1' };
  };
  const [a1, a2] = [await brokenAt('a1'), await brokenAt('a2')];
  const b = await startBackend(t, 'b');
  const r = await startRouter(t, [route('s', ['s.test'], [a1, a2, b])], { ejectMs: 60_000 });
  const statuses: number[] = [];
  for (let i = 0; i < 6; i++) statuses.push((await r.send({ host: 's.test', path: `/${i}` })).status);
  assert.deepEqual(statuses, [200, 200, 200, 200, 200, 200], 'each broken try went on at the other host, not at the dead one\'s other endpoint');
  assert.equal(b.seen.length, 6);
});
