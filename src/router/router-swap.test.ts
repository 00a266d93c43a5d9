import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { waitFor } from '../lib/wait.ts';
import { route, startBackend, startRouter } from './testing.ts';

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
