// The router's own upstream deadlines, on by default, with real sockets: the per-try
// timeout of replayable requests (router option perTryTimeoutMs, for sites that set none)
// and the connect timeout against an endpoint whose connect hangs (its SYNs dropped).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { routerConfig } from './options.ts';
import { route, startBackend, startRouter } from './testing.ts';
import { PROBE_TIMEOUT_MS } from './upstream/liveness.ts';

for (const rawUpstream of [true, false]) {
  const path = rawUpstream ? 'raw path' : 'undici path';

  test(`${path}: a site without retry settings gets the router's per-try timeout: a GET moves on, a POST waits`, async (t) => {
    const slow = await startBackend(t, 'slow', (req: IncomingMessage, res: ServerResponse) => {
      req.resume();
      setTimeout(() => res.end('slow'), 3_000).unref();
    });
    const fast = await startBackend(t, 'fast');
    const PER_TRY = 200;
    const r = await startRouter(t, [route('s', ['s.test'], [slow, fast])], { rawUpstream, perTryTimeoutMs: PER_TRY, headersTimeoutMs: 1_000 });
    for (let i = 0; i < 2; i++) {
      const start = performance.now();
      const reply = await r.send({ host: 's.test', path: `/${i}` });
      const ms = performance.now() - start;
      assert.equal(reply.status, 200);
      assert.equal(reply.body, 'fast');
      assert.ok(ms < PER_TRY + (rawUpstream ? 500 : 1_500), `took ${ms} ms`);
    }
    assert.ok(slow.seen.length >= 1, 'the slow endpoint had tries, moved on from');
    // a POST may have had an effect: never a per-try timeout, it waits headersTimeoutMs (504)
    let post = await r.send({ host: 's.test', method: 'POST', body: 'x' });
    if (post.status === 200) post = await r.send({ host: 's.test', method: 'POST', body: 'x' });
    assert.equal(post.status, 504);
  });
}

test("a slow page on a site's only endpoint is answered, not cut at the router's per-try timeout", async (t) => {
  const SLOW = 700;
  const slow = await startBackend(t, 'slow', (req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    setTimeout(() => res.end('slow'), SLOW).unref();
  });
  for (const rawUpstream of [true, false]) {
    const r = await startRouter(t, [route('s', ['s.test'], [slow])], { rawUpstream, perTryTimeoutMs: 200, headersTimeoutMs: 5_000 });
    const seen = slow.seen.length;
    const start = performance.now();
    const reply = await r.send({ host: 's.test' });
    assert.equal(reply.status, 200, `${rawUpstream ? 'raw' : 'undici'} path: no other endpoint to move to, so the try waits headersTimeoutMs`);
    assert.equal(reply.body, 'slow');
    assert.ok(performance.now() - start >= SLOW - 5);
    assert.equal(slow.seen.length - seen, 1, 'asked once');
  }
  // two endpoints, both slow: the first try moves on at the per-try timeout, the last one waits
  const slow2 = await startBackend(t, 'slow2', (req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    setTimeout(() => res.end('slow2'), SLOW).unref();
  });
  const r = await startRouter(t, [route('s', ['s.test'], [slow, slow2])], { perTryTimeoutMs: 200, headersTimeoutMs: 5_000 });
  const reply = await r.send({ host: 's.test', path: '/both' });
  assert.equal(reply.status, 200);
  assert.match(reply.body, /^slow2?$/);
});

test("the router's default per-try timeout gives way while the endpoint answers other requests (raw path): a slow page on a live server is not asked again elsewhere", async (t) => {
  const SLOW = 700;
  const alive = await startBackend(t, 'alive', (req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    if (req.url === '/slow') setTimeout(() => res.end('slow'), SLOW).unref();
    else res.end('quick');
  });
  const fast = await startBackend(t, 'fast');
  const r = await startRouter(t, [route('s', ['s.test'], [alive, fast])], { perTryTimeoutMs: 200, headersTimeoutMs: 5_000 });
  const start = performance.now();
  const slow = r.send({ host: 's.test', path: '/slow' }); // round robin: the first goes to alive
  while (performance.now() - start < 400) assert.equal((await r.send({ host: 's.test', path: '/quick' })).status, 200); // half of them to alive
  const reply = await slow;
  assert.equal(reply.status, 200);
  assert.equal(reply.body, 'slow', 'waited for the live server');
  assert.ok(performance.now() - start >= SLOW - 5);
  assert.equal(fast.seen.filter((x) => x.url === '/slow').length, 0, 'not asked elsewhere');
  assert.equal(alive.seen.filter((x) => x.url === '/slow').length, 1);
});

test("on a quiet server, the router's default per-try timeout asks the site's health path before it moves a slow page: a live server keeps it, a hung one loses it", async (t) => {
  const SLOW = 1_200;
  const quiet = await startBackend(t, 'quiet', (req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    if (req.url === '/slow') setTimeout(() => res.end('slow'), SLOW).unref();
    else res.end('ok');
  });
  const hung = await startBackend(t, 'hung', (req: IncomingMessage) => req.resume()); // answers nothing, its health path neither
  const fast = await startBackend(t, 'fast');
  const withHealth = (backends: typeof fast[]) => ({ ...route('s', ['s.test'], backends), healthPath: '/health' });
  const r = await startRouter(t, [withHealth([quiet, fast])], { perTryTimeoutMs: 200, headersTimeoutMs: 5_000 });
  let start = performance.now();
  const reply = await r.send({ host: 's.test', path: '/slow' }); // round robin: the first goes to quiet
  assert.equal(reply.status, 200);
  assert.equal(reply.body, 'slow', 'waited for the live server');
  assert.ok(performance.now() - start >= SLOW - 5);
  assert.equal(quiet.seen.filter((x) => x.url === '/slow').length, 1, 'asked once');
  assert.equal(fast.seen.filter((x) => x.url === '/slow').length, 0, 'not asked elsewhere');
  const probes = quiet.seen.filter((x) => x.url === '/health');
  assert.equal(probes.length, 1, 'one probe');
  assert.equal(probes[0]!.headers['x-corral-health'], '1', "marked as Corral's own probe");
  assert.equal(probes[0]!.headers.host, 's.test');

  const r2 = await startRouter(t, [withHealth([hung, fast])], { perTryTimeoutMs: 200, headersTimeoutMs: 5_000 });
  start = performance.now();
  const moved = await r2.send({ host: 's.test', path: '/slow' }); // the first goes to hung
  const ms = performance.now() - start;
  assert.equal(moved.status, 200);
  assert.equal(moved.body, 'fast', 'moved off the hung server');
  assert.equal(hung.seen.filter((x) => x.url === '/health').length, 1, 'its probe went unanswered');
  assert.ok(ms >= 200 + PROBE_TIMEOUT_MS - 50 && ms < 200 + PROBE_TIMEOUT_MS + 600, `per-try timeout + probe timeout: ${ms.toFixed(0)} ms`);
});

test("a slow page that outlasts the router's default per-try timeout on every server is asked twice, not once per server", async (t) => {
  const SLOW = 1_500; // beyond undici's timer granularity (its per-try timeout fires up to ~1 s late)
  const asked: string[] = [];
  const backends = await Promise.all(['a', 'b', 'c'].map((name) => startBackend(t, name, (req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    asked.push(name);
    setTimeout(() => res.end(name), SLOW).unref();
  })));
  for (const rawUpstream of [true, false]) {
    asked.length = 0;
    const r = await startRouter(t, [route('s', ['s.test'], backends)], { rawUpstream, perTryTimeoutMs: 200, headersTimeoutMs: 5_000 });
    const start = performance.now();
    const reply = await r.send({ host: 's.test' });
    const ms = performance.now() - start;
    assert.equal(reply.status, 200);
    assert.equal(asked.length, 2, `${rawUpstream ? 'raw' : 'undici'} path: asked ${asked.join(', ')}`);
    assert.ok(ms < 200 + (rawUpstream ? 400 : 1_500) + SLOW, `one move on, then the last try waits: ${ms.toFixed(0)} ms`);
  }
});

const pythonMissing = spawnSync('python3', ['-c', 'pass']).status === 0 ? false : 'needs python3 (a listening socket that never accepts)';

for (const rawUpstream of [true, false]) {
  const path = rawUpstream ? 'raw path' : 'undici path';

  test(`${path}: an endpoint whose connect hangs is given up after the default 1 s connect timeout and the request retried elsewhere`, { skip: pythonMissing }, async (t) => {
    const hanging = await hangingEndpoint(t);
    const fast = await startBackend(t, 'fast');
    const connectTimeoutMs = routerConfig().connectTimeoutMs;
    const r = await startRouter(t, [route('s', ['s.test'], [{ vs: 'hanging', address: '127.0.0.1', port: hanging, release: 'r1' }, fast])], { rawUpstream });
    // round robin: one of the first two requests starts on the hanging endpoint
    const took: number[] = [];
    for (const o of [{ path: '/1' }, { path: '/2' }]) {
      const start = performance.now();
      const reply = await r.send({ host: 's.test', ...o });
      took.push(performance.now() - start);
      assert.equal(reply.status, 200);
      assert.equal(reply.body, 'fast');
    }
    const slowest = Math.max(...took);
    assert.ok(slowest >= connectTimeoutMs - 5 && slowest < connectTimeoutMs + 1_000, `the hanging connect cost ≈ ${connectTimeoutMs} ms: ${took.join(', ')}`);
    // a body that was never sent may go elsewhere too (the request never left the router)
    if (!rawUpstream) {
      const reply = await r.send({ host: 's.test', method: 'POST', body: 'order=1' });
      assert.equal(reply.status, 200);
    }
  });
}

/**
 * A port whose connects hang: a socket listening with a backlog of 0 that never accepts,
 * its queue filled by one connection, so the kernel drops further SYNs (as from a host
 * whose link is down). Node accepts every connection, so the socket is python's.
 */
async function hangingEndpoint(t: TestContext): Promise<number> {
  const py = spawn('python3', ['-c', "import socket,sys\ns=socket.socket()\ns.bind(('127.0.0.1',0))\ns.listen(0)\nprint(s.getsockname()[1],flush=True)\nsys.stdin.read()"], { stdio: ['pipe', 'pipe', 'inherit'] });
  t.after(() => py.kill());
  const port = await new Promise<number>((resolve, reject) => {
    py.stdout.once('data', (d: Buffer) => resolve(Number(String(d).trim())));
    py.once('error', reject);
  });
  const filler: Socket = connect(port, '127.0.0.1');
  filler.on('error', () => {});
  t.after(() => filler.destroy());
  await new Promise((resolve) => filler.once('connect', resolve));
  return port;
}
