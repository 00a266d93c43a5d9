// A route's endpointMaxInFlight (pooled static sites): the router sends an endpoint at most
// that many requests at once; the rest wait at the router (busyQueue of them, each as long
// as a wake: wakeTimeoutMs) and go on as requests end, first come first served; past either
// bound, 503 ROUTER_SITE_BUSY with Retry-After. Tried: a backend that holds every request
// (its most in flight is counted), a full queue, a wait that runs out, a waiting client that
// leaves, two endpoints. What waits is read from the router (busyWaiting) and from
// /metrics (corral_router_site_busy_waiting, corral_router_site_busy_total).
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { test } from 'node:test';
import { waitFor } from '../lib/wait.ts';
import type { Route } from '../model/index.ts';
import { routerMetricsRegistry } from './metrics.ts';
import { route, startBackend, startRouter, type Backend } from './testing.ts';

/** A backend that holds each request until release(), counting the most it held at once. */
async function holdingBackend(t: Parameters<typeof startBackend>[0], name: string) {
  const held: ServerResponse[] = [];
  let most = 0;
  const backend: Backend = await startBackend(t, name, (req, res) => {
    req.resume();
    held.push(res);
    most = Math.max(most, held.length);
    res.on('close', () => {
      const i = held.indexOf(res);
      if (i >= 0) held.splice(i, 1);
    });
  });
  return {
    backend,
    held: () => held.length,
    most: () => most,
    release: (n = Infinity) => {
      for (const res of held.splice(0, n)) res.end(name);
    },
  };
}

const capped = (r: Route, cap: number): Route => ({ ...r, endpointMaxInFlight: cap });

test('at most endpointMaxInFlight requests reach an endpoint at once; the rest wait and are all served as requests end', async (t) => {
  const b = await holdingBackend(t, 'pool');
  const r = await startRouter(t, [capped(route('s', ['s.test'], [b.backend]), 2)]);
  const replies = Array.from({ length: 6 }, () => r.send({ host: 's.test' }));
  await waitFor(() => b.held() === 2 && r.router.busyWaiting('s') === 4, { what: 'two at the backend, four waiting at the router' });
  for (let ended = 0; ended < 6; ended++) {
    // each request that ends lets one waiting request in, until none waits
    await waitFor(() => b.held() === Math.min(2, 6 - ended), { what: `${Math.min(2, 6 - ended)} at the backend after ${ended} ended` });
    b.release(1);
  }
  const done = await Promise.all(replies);
  assert.deepEqual(done.map((x) => x.status), [200, 200, 200, 200, 200, 200]);
  assert.equal(b.most(), 2, 'never more than two at once');
});

test('a full wait is 503 ROUTER_SITE_BUSY at once, a wait past wakeTimeoutMs 503 after it; both with Retry-After; a client that leaves frees its place', async (t) => {
  const b = await holdingBackend(t, 'pool');
  const site = 'busy-site';
  const r = await startRouter(t, [capped(route(site, ['s.test'], [b.backend]), 1)], { busyQueue: 1, wakeTimeoutMs: 400, metrics: true });
  const first = r.send({ host: 's.test' });
  await waitFor(() => b.held() === 1, { what: 'the first at the backend' });
  const gone = r.open({ host: 's.test' }); // waits, then leaves
  gone.res.catch(() => {});
  await waitFor(() => r.router.busyWaiting(site) === 1, { what: 'the second waiting' });
  assert.match(await routerMetricsRegistry.metrics(), new RegExp(`corral_router_site_busy_waiting\\{site="${site}"\\} 1\\b`));
  const full = await r.send({ host: 's.test' });
  assert.equal(full.status, 503);
  assert.equal(full.headers['retry-after'], '1');
  assert.match(full.body, /site busy-site is busy: 1 requests already wait/);
  gone.req.destroy();
  await waitFor(() => r.router.busyWaiting(site) === 0, { what: 'the client that left gives up its place' });
  const t0 = performance.now();
  const late = await r.send({ host: 's.test' });
  assert.equal(late.status, 503, 'its place was free: it waited, then ran out');
  assert.ok(performance.now() - t0 >= 380, 'after wakeTimeoutMs');
  assert.match(late.body, /each of its servers has 1 requests in flight/);
  b.release();
  assert.equal((await first).status, 200);
  assert.equal(b.most(), 1);
  const text = await routerMetricsRegistry.metrics();
  assert.match(text, new RegExp(`corral_router_site_busy_total\\{site="${site}",reason="queue-full"\\} 1\\b`));
  assert.match(text, new RegExp(`corral_router_site_busy_total\\{site="${site}",reason="timeout"\\} 1\\b`));
  assert.match(text, new RegExp(`corral_router_site_busy_waiting\\{site="${site}"\\} 0\\b`));
});

test('with two endpoints a request goes to the one under its cap, and waits only when both are full', async (t) => {
  const a = await holdingBackend(t, 'a');
  const c = await holdingBackend(t, 'c');
  const r = await startRouter(t, [capped(route('s', ['s.test'], [a.backend, c.backend]), 1)]);
  const replies = [r.send({ host: 's.test' }), r.send({ host: 's.test' })];
  await waitFor(() => a.held() === 1 && c.held() === 1, { what: 'one at each' });
  const third = r.send({ host: 's.test' });
  await waitFor(() => r.router.busyWaiting('s') === 1, { what: 'the third waiting' });
  assert.equal(a.held() + c.held(), 2, 'the third waits');
  c.release();
  await waitFor(() => c.held() === 1, { what: 'the third on the endpoint that freed' });
  c.release();
  a.release();
  assert.deepEqual((await Promise.all([...replies, third])).map((x) => x.status), [200, 200, 200]);
});
