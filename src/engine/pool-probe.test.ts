// The engine's question to a pool's web runtime (pool-probe.ts): with `min`, one request that
// the runtime holds until it serves that table; without, an answer at once. A stand-in HTTP
// server on port 0 plays the runtime's side of /.corral/sites (the real one: pool-unit.test.ts).

import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';
import { probeTable } from './pool-probe.ts';

/** A runtime stand-in: records each request; answers when `answer` (default: at once) says so. */
async function runtime(t: TestContext, answer: (req: http.IncomingMessage, res: http.ServerResponse) => void) {
  const seen: { url: string; key: string | undefined }[] = [];
  const server = http.createServer((req, res) => {
    seen.push({ url: req.url ?? '', key: req.headers['x-corral-key'] as string | undefined });
    answer(req, res);
  });
  t.after(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, seen, server };
}

const table = (version: number | null) => JSON.stringify({ version, sites: { a: 'v1' } });

test('a probe with min asks for that version and waits for the held answer', async (t) => {
  let release: (() => void) | undefined;
  const rt = await runtime(t, (_req, res) => (release = () => res.end(table(4))));
  const probe = probeTable('127.0.0.1', rt.port, 'secret', { min: 4 });
  await new Promise<void>((resolve) => rt.server.once('request', () => setImmediate(resolve)));
  assert.deepEqual(rt.seen, [{ url: '/.corral/sites?min=4', key: 'secret' }]);
  release!();
  assert.deepEqual(await probe, { version: 4, sites: { a: 'v1' } });
});

test('a probe without min asks for what is served now', async (t) => {
  const rt = await runtime(t, (_req, res) => res.end(table(2)));
  assert.deepEqual(await probeTable('127.0.0.1', rt.port, 'k'), { version: 2, sites: { a: 'v1' } });
  assert.equal(rt.seen[0]!.url, '/.corral/sites');
});

test('an answer that never comes, a bad answer or no runtime: undefined, never a throw', async (t) => {
  const silent = await runtime(t, () => undefined);
  assert.equal(await probeTable('127.0.0.1', silent.port, 'k', { min: 1, timeoutMs: 50 }), undefined);
  const bad = await runtime(t, (_req, res) => res.end('not json'));
  assert.equal(await probeTable('127.0.0.1', bad.port, 'k', { min: 1 }), undefined);
  const refused = await runtime(t, (_req, res) => res.writeHead(404).end(table(1)));
  assert.equal(await probeTable('127.0.0.1', refused.port, 'k', { min: 1 }), undefined);
  const closed = await runtime(t, (_req, res) => res.end(table(1)));
  const port = closed.port;
  await new Promise<void>((resolve) => closed.server.close(() => resolve()));
  assert.equal(await probeTable('127.0.0.1', port, 'k', { min: 1 }), undefined);
});
