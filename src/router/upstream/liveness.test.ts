// Signs of life (liveness.ts) against real HTTP servers on loopback: a probe of the health
// path answered 2xx/3xx is life, an error status or silence past the probe timeout is not,
// one probe serves every request waiting on the endpoint, and a route without a health
// path gets no probe.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitFor } from '../../lib/wait.ts';
import type { Route } from '../../model/index.ts';
import { Liveness, type Verdict } from './liveness.ts';

async function server(t: TestContext, handler: RequestListener): Promise<{ port: number; asked: string[] }> {
  const asked: string[] = [];
  const s = createServer((req, res) => {
    asked.push(`${req.url} ${req.headers.host} ${req.headers['x-corral-health']}`);
    handler(req, res);
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => { s.closeAllConnections(); s.close(() => r()); }));
  return { port: (s.address() as AddressInfo).port, asked };
}

const route = (healthPath?: string): Route => ({ site: 's', domains: ['*.s.test', 's.test'], endpoints: [], updatedAt: '2026-01-01T00:00:00Z', ...(healthPath ? { healthPath } : {}) });

/** Ask until the verdict is settled, as the pool's sweep does. */
async function settled(l: Liveness, port: number, r: Route, since: number): Promise<Verdict> {
  let v: Verdict = 'asking';
  await waitFor(() => (v = l.verdict(`k${port}`, '127.0.0.1', port, r, since, Date.now())) !== 'asking', { timeoutMs: 5_000, intervalMs: 10, what: 'a verdict' });
  return v;
}

test('a health path answered 2xx or 3xx is life; 5xx, 4xx and silence are not', async (t) => {
  const l = new Liveness(300);
  t.after(() => l.close());
  const since = Date.now();
  const ok = await server(t, (_req, res) => res.end('ok'));
  assert.equal(await settled(l, ok.port, route('/health'), since), 'alive');
  assert.deepEqual(ok.asked, ['/health health.s.test 1'], 'one GET of the health path, marked as Corral\'s probe');
  const moved = await server(t, (_req, res) => { res.statusCode = 302; res.end(); });
  assert.equal(await settled(l, moved.port, route('/health'), since), 'alive');
  for (const status of [503, 404]) {
    const bad = await server(t, (_req, res) => { res.statusCode = status; res.end(); });
    assert.equal(await settled(l, bad.port, route('/health'), since), 'dead', `${status}`);
  }
  const silent = await server(t, (req) => req.resume());
  const start = Date.now();
  assert.equal(await settled(l, silent.port, route('/health'), since), 'dead');
  assert.ok(Date.now() - start >= 290, 'given the probe timeout');
});

test('one probe for every request waiting on the endpoint; an answer to a request sent later is life without one', async (t) => {
  const l = new Liveness(300);
  t.after(() => l.close());
  const s = await server(t, (_req, res) => setTimeout(() => res.end('ok'), 50));
  const key = `k${s.port}`;
  const since = Date.now();
  const verdicts = [1, 2, 3].map(() => l.verdict(key, '127.0.0.1', s.port, route('/health'), since, Date.now()));
  assert.deepEqual(verdicts, ['asking', 'asking', 'asking']);
  assert.equal(await settled(l, s.port, route('/health'), since), 'alive');
  assert.equal(s.asked.length, 1);
  // a request sent after `since2` answered: alive, no probe
  const since2 = Date.now() + 1;
  l.answered(key, since2 + 5);
  assert.equal(l.verdict(key, '127.0.0.1', s.port, route('/health'), since2, Date.now()), 'alive');
  assert.equal(s.asked.length, 1);
});

test('a failed probe speaks for the requests sent before it, not for later ones; no health path: no probe', async (t) => {
  const l = new Liveness(200);
  t.after(() => l.close());
  let answer = false;
  const s = await server(t, (req, res) => { if (answer) res.end('ok'); else req.resume(); });
  const key = `k${s.port}`;
  const first = Date.now();
  assert.equal(await settled(l, s.port, route('/health'), first), 'dead');
  assert.equal(l.verdict(key, '127.0.0.1', s.port, route('/health'), first, Date.now()), 'dead', 'still dead for the same request, not asked again');
  assert.equal(s.asked.length, 1);
  answer = true;
  await new Promise((r) => setTimeout(r, 2)); // a request sent after the probe failed
  const later = Date.now();
  assert.equal(await settled(l, s.port, route('/health'), later), 'alive', 'a request sent after the failed probe gets a probe of its own');
  assert.equal(s.asked.length, 2);
  const none = new Liveness(200);
  assert.equal(none.verdict(key, '127.0.0.1', s.port, route(), Date.now(), Date.now()), 'dead');
  assert.equal(s.asked.length, 2);
});
