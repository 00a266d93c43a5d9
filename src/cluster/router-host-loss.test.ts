// A host that goes silent (its link down: no reset, no answer) while requests are in
// flight to it: the moment its VS status or its engine's registration leaves the store,
// live-endpoints tells the router, which cuts those requests at once — GETs are retried
// on the other endpoint and succeed, a POST gets 502 — instead of waiting for timeouts.
// The silent host is a TCP server that takes the connection and the request and never
// answers; real router, real SQLite store, both upstream paths.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { silentLogger } from '../lib/log.ts';
import { waitFor } from '../lib/wait.ts';
import { keys, type Route, type VsStatus } from '../model/index.ts';
import { buildRouter } from '../router/index.ts';
import { openSqliteStore } from '../store/index.ts';
import { liveEndpoints } from './live-endpoints.ts';

const HOST = 'www.test';

interface Reply {
  status: number;
  body: string;
  /** When the response ended (performance.now()). */
  at: number;
}

for (const [path, rawUpstream, vanish] of [
  ['raw path', true, 'status'],
  ['undici path', false, 'engine'],
] as const) {
  test(`${path}: a host gone silent — its ${vanish === 'status' ? 'VS status' : 'engine registration'} vanishes: GETs in flight retried at once, a POST 502 at once`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'corral-hostloss-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const store = await openSqliteStore(join(dir, 's.db'));
    t.after(() => store.close());
    const status = (vs: string, engine: string): string =>
      JSON.stringify({ vs, engine, site: 'www', release: 'v1', state: 'ready', restarts: 0, updatedAt: '' } satisfies VsStatus);
    for (const e of ['e1', 'e2']) await store.put(keys.engine(e), JSON.stringify({ id: e }));
    await store.put(keys.vsStatus('e1', 'silent'), status('silent', 'e1'));
    await store.put(keys.vsStatus('e2', 'good'), status('good', 'e2'));

    const silent = await silentHost(t);
    const good = await goodBackend(t);
    const router = buildRouter({ log: silentLogger, rawUpstream });
    t.after(() => router.destroy());
    const live = await liveEndpoints(store, router, silentLogger);
    t.after(() => live.close());
    const ep = (vs: string, port: number) => ({ vs, address: '127.0.0.1', port, release: 'v1' });
    const route: Route = { site: 'www', domains: [HOST], endpoints: [ep('silent', silent.port), ep('good', good.port)], updatedAt: '' };
    live.setRoutes([route]);
    const port = await listen(router.server);

    // round robin: every other request starts on the silent host; keep those
    const stuck: Array<{ what: string; reply: Promise<Reply> }> = [];
    const kinds: Array<[string, string, string | undefined]> = [['GET', '/a', undefined], ['GET', '/b', undefined], ['POST', '/order', 'item=1'], ['POST', '/empty', '']];
    for (const [method, p, body] of kinds) {
      for (;;) {
        const before = silent.requests();
        const reply = send(port, method, p, body);
        const landed = await Promise.race([reply.then(() => 'answered'), waitFor(() => silent.requests() > before, { what: 'the silent host to take it' }).then(() => 'stuck')]);
        if (landed === 'stuck') {
          stuck.push({ what: `${method} ${p}`, reply });
          break;
        }
        assert.equal((await reply).status, 200, 'the other endpoint answers');
      }
    }
    const goodBefore = good.seen.length;

    const cutAt = performance.now();
    if (vanish === 'status') await store.delete(keys.vsStatus('e1', 'silent'));
    else await store.delete(keys.engine('e1'));
    const replies = await Promise.all(stuck.map((s) => s.reply));
    const byWhat = new Map(stuck.map((s, i) => [s.what, replies[i]!]));
    for (const what of ['GET /a', 'GET /b']) {
      const r = byWhat.get(what)!;
      assert.equal(r.status, 200, `${what} retried on the good endpoint`);
      assert.equal(r.body, `good ${what.slice(4)}`);
      assert.ok(r.at - cutAt < 1_000, `${what} answered ${Math.round(r.at - cutAt)} ms after the host was known gone`);
    }
    for (const what of ['POST /order', 'POST /empty']) {
      const r = byWhat.get(what)!;
      assert.equal(r.status, 502, `${what} may have reached the host: never replayed, 502`);
      assert.ok(r.at - cutAt < 1_000, `${what} answered ${Math.round(r.at - cutAt)} ms after the host was known gone`);
    }
    assert.deepEqual(good.seen.slice(goodBefore).sort(), ['GET /a', 'GET /b'], 'only the GETs were replayed');
    // the router let go of every connection to the silent host
    await waitFor(() => silent.open() === 0, { what: 'the connections to the silent host closed' });
  });
}

/** A host that takes connections and requests and never answers (nor resets). */
async function silentHost(t: TestContext): Promise<{ port: number; requests(): number; open(): number }> {
  const sockets = new Set<Socket>();
  let requests = 0;
  const server = createTcpServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.once('data', () => requests++);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return { port: (server.address() as AddressInfo).port, requests: () => requests, open: () => sockets.size };
}

async function goodBackend(t: TestContext): Promise<{ port: number; seen: string[] }> {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    req.resume();
    res.end(`good ${req.url}`);
  });
  const port = await listen(server);
  t.after(() => {
    server.close();
    server.closeAllConnections();
  });
  return { port, seen };
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

/** One request on its own connection. */
function send(port: number, method: string, path: string, body: string | undefined): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { host: HOST };
    if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
    const req = request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, at: performance.now() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
