import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from '../lib/wait.ts';
import type { HealthCheck } from '../model/index.ts';
import { captureLog, route, startBackend, startRouter } from './testing.ts';

const FAST: HealthCheck = { path: '/health', intervalMs: 30, timeoutMs: 200, rise: 2, fall: 2 };

async function sickable(t: Parameters<typeof startBackend>[0], name: string) {
  const state = { sick: false, probes: 0 };
  const b = await startBackend(t, name, (req, res) => {
    if (req.url === '/health') {
      state.probes++;
      res.statusCode = state.sick ? 503 : 200;
      return res.end();
    }
    res.end(name);
  });
  return { b, state };
}

test('active checks mark an endpoint down after `fall` failures and up after `rise` passes', async (t) => {
  const a = await sickable(t, 'a');
  const b = await sickable(t, 'b');
  const { log, events } = captureLog();
  const r = await startRouter(t, [{ ...route('s', ['s.test'], [a.b, b.b]), health: FAST }], { log });
  await waitFor(() => a.state.probes >= 2 && b.state.probes >= 2, { what: 'the first probes' });

  a.state.sick = true;
  await waitFor(() => events('endpoint.down').length === 1, { what: 'a to be marked down' });
  const bodies = await Promise.all(Array.from({ length: 10 }, () => r.send({ host: 's.test' }).then((x) => x.body)));
  assert.deepEqual(new Set(bodies), new Set(['b']), 'a down endpoint gets no requests');
  const probesWhenDown = a.state.probes;

  a.state.sick = false;
  await waitFor(() => events('endpoint.up').length === 1, { what: 'a to come back' });
  assert.ok(a.state.probes >= probesWhenDown + 2, 'back only after `rise` passing checks');
  await waitFor(async () => (await r.send({ host: 's.test' })).body === 'a', { what: 'a to serve again' });
  assert.equal(events('endpoint.down')[0]!.why, 'failed checks');
});

test('an endpoint ejected by a failed request returns only after passing checks', async (t) => {
  const a = await sickable(t, 'a');
  const b = await sickable(t, 'b');
  const { log, events } = captureLog();
  // a long check interval and a short ejection: the check, not the clock, decides the return
  const slow: HealthCheck = { ...FAST, intervalMs: 60_000 };
  const r = await startRouter(t, [{ ...route('s', ['s.test'], [a.b, b.b]), health: slow }], { log, ejectMs: 1 });
  await waitFor(() => a.state.probes >= 1, { what: 'the first probe' });
  a.b.kill();
  for (let i = 0; i < 6; i++) assert.equal((await r.send({ host: 's.test' })).body, 'b');
  assert.equal(events('endpoint.down')[0]?.why, 'ejected');
  for (let i = 0; i < 6; i++) assert.equal((await r.send({ host: 's.test' })).body, 'b', 'still out after ejectMs: no check passed');
});

test('a health path node refuses to send fails the check instead of throwing out of the timer; other sites serve', async (t) => {
  const a = await sickable(t, 'a');
  const b = await sickable(t, 'b');
  const { log, events } = captureLog();
  // as if a route skipped no check (the watch checks records; this is the checker's own guard)
  const bad: HealthCheck = { ...FAST, path: '/x\r\nHost: evil' };
  const r = await startRouter(t, [
    { ...route('bad', ['bad.test'], [a.b]), health: bad },
    { ...route('good', ['good.test'], [b.b]), health: { ...FAST, path: '/a b' } },
  ], { log });
  await waitFor(() => events('endpoint.down').length === 2, { what: 'both endpoints to fail their checks' });
  assert.equal(events('health.check-unsendable').length, 2, 'logged once per endpoint');
  assert.equal(a.state.probes + b.state.probes, 0, 'nothing unsendable reached a server');
  // the router is alive and answers (every endpoint of the site down: it still tries them)
  assert.equal((await r.send({ host: 'good.test' })).body, 'b');
  assert.equal((await r.send({ host: 'nobody.test' })).status, 404);
});
