// Per-try timeouts and the retry budget, with real backends on loopback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { waitFor } from '../lib/wait.ts';
import type { Route } from '../model/index.ts';
import { routerMetricsRegistry } from './metrics.ts';
import { TIMEOUT_STREAK } from './policy/timeout-streaks.ts';
import { captureLog, route, startBackend, startRouter, type Backend } from './testing.ts';
import { parseRoute } from './watch-routes.ts';

const PER_TRY = 150;

/** A backend that holds the response headers back for 5 s, counting the connections it saw close. */
async function slowBackend(t: Parameters<typeof startBackend>[0]): Promise<Backend & { closed: () => number }> {
  const b = await startBackend(t, 'slow', (req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    setTimeout(() => res.end('slow'), 5_000).unref();
  });
  let closed = 0;
  b.server.on('connection', (s) => s.once('close', () => closed++));
  return { ...b, closed: () => closed };
}

function withRetry(r: Route, retry: Route['retry']): Route {
  return { ...r, retry };
}

for (const rawUpstream of [true, false]) {
  const path = rawUpstream ? 'raw path' : 'undici path';

  test(`${path}: a GET whose try is slow is answered by another endpoint in ≈ perTryTimeoutMs`, async (t) => {
    const slow = await slowBackend(t);
    const fast = await startBackend(t, 'fast');
    const { log, events } = captureLog();
    const r = await startRouter(t, [withRetry(route('s', ['s.test'], [slow, fast]), { perTryTimeoutMs: PER_TRY })], { log, rawUpstream, ejectMs: 60_000 });
    const took: number[] = [];
    for (let i = 0; i < 12; i++) {
      const start = performance.now();
      const reply = await r.send({ host: 's.test', path: `/${i}` });
      took.push(performance.now() - start);
      assert.equal(reply.status, 200, `request ${i}`);
      assert.equal(reply.body, 'fast');
    }
    // Round robin sends each request to the slow endpoint first until its timeouts in a row eject it.
    assert.equal(slow.seen.length, TIMEOUT_STREAK);
    assert.equal(fast.seen.length, 12);
    // undici runs its headers timeouts on its coarse timer (≈ 0.5 s ticks); the raw path on the socket's own.
    // Either way well under the 5 s the slow backend would take (a loaded machine delays undici's ticks most).
    const slack = rawUpstream ? 500 : 3_000;
    for (const ms of took.slice(0, TIMEOUT_STREAK)) assert.ok(ms >= PER_TRY - 5 && ms < PER_TRY + slack, `a timed-out try costs ≈ ${PER_TRY} ms, took ${ms}`);
    // once ejected, the slow endpoint is skipped: it saw only the streak's requests (asserted above), so no later request
    // waited for a try to time out (its time is not asserted: a loaded machine may take longer than PER_TRY for any request)
    const ejected = events('endpoint.ejected');
    assert.deepEqual(ejected.map((e) => [e.vs, e.code]), [['slow', 'UND_ERR_HEADERS_TIMEOUT']]);
    // each abandoned try's connection was destroyed, never reused
    await waitFor(() => slow.closed() === TIMEOUT_STREAK, { what: 'the slow endpoint connections closed' });
  });
}

// Bodies go through undici, a bodiless POST takes the raw path: both are covered.
test('a POST or PATCH to a slow endpoint is never retried: 504 after the router-wide headersTimeoutMs', async (t) => {
  const slow = await slowBackend(t);
  const fast = await startBackend(t, 'fast');
  const r = await startRouter(t, [withRetry(route('s', ['s.test'], [slow, fast]), { perTryTimeoutMs: PER_TRY })], { headersTimeoutMs: 600 });
  for (const o of [{ method: 'POST', body: 'order=1' }, { method: 'POST' }, { method: 'PATCH', body: 'x' }]) {
    const [slowBefore, fastBefore] = [slow.seen.length, fast.seen.length];
    const start = performance.now();
    // round robin: every other request starts on the slow endpoint
    let reply = await r.send({ host: 's.test', ...o });
    if (reply.status === 200) {
      assert.equal(reply.body, 'fast');
      reply = await r.send({ host: 's.test', ...o });
    }
    const ms = performance.now() - start;
    assert.equal(reply.status, 504, `${o.method} ${o.body ?? ''}`);
    assert.ok(ms >= 600 - 5, `${o.method}: the per-try timeout does not apply (${ms} ms)`);
    assert.equal(slow.seen.length - slowBefore, 1, `${o.method}: the slow endpoint saw it exactly once`);
    assert.ok(fast.seen.length - fastBefore <= 1, `${o.method}: never retried on the fast endpoint`);
  }
});

test('with one endpoint a timed-out GET is not tried on it again: 504 in ≈ perTryTimeoutMs', async (t) => {
  const slow = await slowBackend(t);
  const r = await startRouter(t, [withRetry(route('s', ['s.test'], [slow]), { perTryTimeoutMs: PER_TRY })]);
  const start = performance.now();
  const reply = await r.send({ host: 's.test' });
  assert.equal(reply.status, 504);
  assert.ok(performance.now() - start < PER_TRY + 1_000);
  assert.equal(slow.seen.length, 1);
});

test('every endpoint failing: retries stay within ratio × requests + the floor per second', async (t) => {
  const reset = (req: IncomingMessage) => req.socket.destroy();
  const backends = await Promise.all(['a', 'b', 'c'].map((n) => startBackend(t, n, reset)));
  const { log, events } = captureLog();
  const site = 'budget-site';
  const retry = { budgetRatio: 0.2, minRetriesPerSecond: 1 };
  const r = await startRouter(t, [withRetry(route(site, ['b.test'], backends), retry)], { accessLog: log, metrics: true });
  const N = 60;
  const startSecond = Math.floor(Date.now() / 1000);
  for (let i = 0; i < N; i++) assert.equal((await r.send({ host: 'b.test', path: `/${i}` })).status, 502);
  const seconds = Math.floor(Date.now() / 1000) - startSecond + 1; // buckets the run touched
  const tries = backends.reduce((n, b) => n + b.seen.length, 0);
  const retries = tries - N;
  // Without a budget every request would take 3 tries (120 retries).
  assert.ok(retries <= retry.budgetRatio * N + retry.minRetriesPerSecond * seconds, `${retries} retries over ${seconds} s`);
  assert.ok(retries >= retry.budgetRatio * N - 1, `the ratio is available: ${retries} retries`);
  await waitFor(() => events('access').length === N, { what: 'every access line' });
  const refused = events('access').filter((e) => e.budgetExhausted === true).length;
  assert.ok(refused >= N - retries, `${refused} requests were refused a retry`);
  const text = await routerMetricsRegistry.metrics();
  assert.match(text, new RegExp(`corral_router_retry_budget_exhausted_total\\{site="${site}"\\} ${refused}\\b`));
});

test('maxTries 1: even a GET whose connection broke is not retried', async (t) => {
  const a = await startBackend(t, 'a', (req) => req.socket.destroy());
  const b = await startBackend(t, 'b');
  const r = await startRouter(t, [withRetry(route('s', ['s.test'], [a, b]), { maxTries: 1 })]);
  assert.equal((await r.send({ host: 's.test' })).status, 502);
  assert.equal(a.seen.length + b.seen.length, 1);
});

test('a route record with bad retry settings is used with the defaults (logged)', () => {
  const { log, events } = captureLog();
  const kv = (retry: unknown) => ({ key: '/corral/routes/ss', value: JSON.stringify({ ...route('ss', ['s.test'], []), retry }), createRevision: 1, modRevision: 1, version: 1, lease: 0 });
  assert.deepEqual(parseRoute(kv({ perTryTimeoutMs: 200, budgetRatio: 0.5 }), log)?.retry, { perTryTimeoutMs: 200, budgetRatio: 0.5 });
  for (const bad of [{ perTryTimeoutMs: '2s' }, { budgetRatio: 2 }, { maxTries: 0 }, 'x']) {
    const r = parseRoute(kv(bad), log);
    assert.equal(r?.site, 'ss');
    assert.equal(r?.retry, undefined, JSON.stringify(bad));
  }
  assert.equal(events('routes.bad-retry').length, 4);
});
