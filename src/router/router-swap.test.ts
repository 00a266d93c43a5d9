import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { waitFor } from '../lib/wait.ts';
import { captureLog, deadEndpoint, route, startBackend, startRouter } from './testing.ts';

test('swapping routes while requests are in flight fails none of them', async (t) => {
  const held: ServerResponse[] = [];
  const old = await startBackend(t, 'old', (_req, res) => {
    res.writeHead(200);
    res.write('old-');
    held.push(res);
  });
  const next = await startBackend(t, 'new');
  const r = await startRouter(t, [route('s', ['s.test'], [old])]);
  const inFlight = Array.from({ length: 10 }, () => r.send({ host: 's.test' }));
  await waitFor(() => held.length === 10, { what: 'requests to reach the old release' });

  r.router.setRoutes([route('s', ['s.test'], [next])]);
  const after = await Promise.all(Array.from({ length: 10 }, () => r.send({ host: 's.test' })));
  assert.deepEqual(new Set(after.map((a) => a.body)), new Set(['new']));

  held.forEach((res) => res.end('done'));
  const replies = await Promise.all(inFlight);
  assert.deepEqual(
    replies.map((x) => `${x.status} ${x.body}`),
    Array.from({ length: 10 }, () => '200 old-done'),
  );
});

test('requests keep flowing through many swaps under load', async (t) => {
  const [a, b] = await Promise.all([startBackend(t, 'a'), startBackend(t, 'b')]);
  const r = await startRouter(t, [route('s', ['s.test'], [a])]);
  let stop = false;
  const statuses: number[] = [];
  const worker = async () => {
    while (!stop) statuses.push((await r.send({ host: 's.test' })).status);
  };
  const workers = Array.from({ length: 6 }, worker);
  for (let i = 0; i < 40; i++) {
    r.router.setRoutes([route('s', ['s.test'], i % 2 ? [a] : [b])]);
    await waitFor(() => statuses.length > i * 5, { what: 'traffic' });
  }
  stop = true;
  await Promise.all(workers);
  assert.deepEqual(statuses.filter((s) => s !== 200), []);
});

test("another site's route changes leave a site's ejections and requests in flight alone", async (t) => {
  const held: ServerResponse[] = [];
  const slow = await startBackend(t, 'slow', (req, res) => {
    if (req.url !== '/hold') return void res.end('slow');
    res.writeHead(200);
    res.write('held-');
    held.push(res);
  });
  const dead = await deadEndpoint('dead');
  const [o1, o2] = await Promise.all([startBackend(t, 'o1'), startBackend(t, 'o2')]);
  const { log, events } = captureLog();
  const r = await startRouter(t, [route('s', ['s.test'], [dead, slow]), route('o', ['o.test'], [o1]), route('gone', ['gone.test'], [o2])], { log, ejectMs: 60_000 });
  const inFlight = r.send({ host: 's.test', path: '/hold' });
  await waitFor(() => held.length === 1, { what: 'a request held by s' });
  // round robin: within two requests one tries the dead endpoint and ejects it (retried on slow)
  for (let i = 0; i < 2; i++) assert.equal((await r.send({ host: 's.test' })).status, 200);
  assert.deepEqual(events('endpoint.ejected').map((e) => e.vs), ['dead']);

  for (let i = 0; i < 6; i++) r.router.updateRoutes({ put: [route('o', ['o.test', `o${i}.test`], [i % 2 ? o1 : o2])], remove: [] });
  r.router.updateRoutes({ put: [], remove: ['gone'] });
  assert.equal((await r.send({ host: 'o5.test' })).body, 'o1');
  assert.equal((await r.send({ host: 'o4.test' })).status, 404); // o's old names left with its old route
  assert.equal((await r.send({ host: 'gone.test' })).status, 404);

  // s: the dead endpoint is still ejected (never tried again), the held request still open
  for (let i = 0; i < 6; i++) assert.equal((await r.send({ host: 's.test' })).body, 'slow');
  assert.equal(events('endpoint.ejected').length, 1);
  held[0]!.end('done');
  const reply = await inFlight;
  assert.equal(`${reply.status} ${reply.body}`, '200 held-done');
});
