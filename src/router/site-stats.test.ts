import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitFor } from '../lib/wait.ts';
import { createSiteSeries, SWEEP_SECONDS, trackSiteStats, WINDOW_SECONDS } from './site-stats.ts';
import { route, startBackend, startRouter } from './testing.ts';

test('site stats count requests per site by second, with 5xx and 4xx apart and latency quantiles', async (t) => {
  let clock = 1_000_000_000_000;
  const b = await startBackend(t, 'b', (req, res) => {
    res.statusCode = req.url === '/fail' ? 503 : req.url === '/missing' ? 404 : 200;
    res.end('ok');
  });
  const www = route('www', ['www.test'], [b]);
  const r = await startRouter(t, [www]);
  const stats = trackSiteStats(r.router, () => clock); // fed by the chain's end
  stats.setRoutes([www]);
  t.after(() => stats.close());
  const send = (host: string, path = '/') => r.send({ host, path });

  for (let i = 0; i < 8; i++) await send('www.test');
  await send('www.test', '/fail');
  await send('www.test', '/missing');
  await send('www.test', '/missing');
  await send('other.test'); // not a routed site: not counted
  clock += 1000; // the second fills, then the series shows it
  const points = await waitFor(() => {
    const p = stats.series('www', 5, 1);
    return p.at(-1)?.requests === 11 ? p : undefined;
  }, { timeoutMs: 2000, what: 'the counted second' });
  assert.equal(points.length, 5);
  const last = points.at(-1)!;
  assert.equal(last.errors, 1, 'server errors: 5xx only');
  assert.equal(last.clientErrors, 2, 'client errors: 4xx');
  assert.ok(last.p50Ms !== undefined && last.p99Ms !== undefined && last.p50Ms <= last.p99Ms);
  assert.deepEqual(points.slice(0, -1).map((p) => p.requests), [0, 0, 0, 0]);
  assert.deepEqual(stats.series('other', 5, 1).map((p) => p.requests), [0, 0, 0, 0, 0]);

  const wide = stats.series('www', 10, 5);
  assert.deepEqual(wide.map((p) => p.requests), [0, 11]);
  stats.setRoutes([]);
  assert.deepEqual(stats.series('www', 2, 1).map((p) => p.requests), [0, 0], 'a removed site forgets its figures');
});

test('a sample from an older router worker (no 4xx count) adds as zero client errors', () => {
  const now = 1_000_000_000_000;
  const series = createSiteSeries(() => now);
  const second = now / 1000 - 2;
  series.add('www', [second, 5, 1, [1, 2]]);
  series.add('www', [second, 3, 0, [1], 2]);
  const point = series.series('www', 2, 1)[0]!;
  assert.deepEqual([point.requests, point.errors, point.clientErrors], [8, 1, 2]);
});

test('site stats follow per-site updates: a put keeps a site\'s figures, a removal drops them', async (t) => {
  let clock = 1_000_000_000_000;
  const b = await startBackend(t, 'b');
  const [www, api] = [route('www', ['www.test'], [b]), route('api', ['api.test'], [b])];
  const r = await startRouter(t, [www, api]);
  const stats = trackSiteStats(r.router, () => clock);
  t.after(() => stats.close());
  for (const host of ['www.test', 'www.test', 'api.test']) await r.send({ host });
  const count = (site: string) => stats.series(site, 1, 1).at(-1)?.requests;
  clock += 1000; // the second fills, then the series shows it
  await waitFor(() => count('www') === 2 && count('api') === 1, { what: 'the counted requests' });

  const update = { put: [route('www', ['www.test', 'w.test'], [b])], remove: ['api'] };
  r.router.updateRoutes(update);
  stats.updateRoutes(update);
  assert.equal(count('www'), 2, 'a site put again keeps its figures');
  assert.equal(count('api'), 0, 'a removed site forgets its figures');
});

test('samples arriving out of order land in their own seconds; a series spans the window only; steps group whole seconds', () => {
  let clock = 2_000_000_000_000;
  const series = createSiteSeries(() => clock);
  const second = Math.floor(clock / 1000);
  series.add('s', [second - 1, 3, 1, [5, 6, 7]]);
  series.add('s', [second - 3, 2, 0, [1, 1]]); // a worker's report from earlier seconds, after a later one
  series.add('s', [second - 1, 1, 0, [9], 1]);
  series.add('s', [second - 400, 50, 0, []]); // older than the window: ignored
  const points = series.series('s', 4, 1);
  assert.deepEqual(points.map((p) => [p.t / 1000 - second, p.requests, p.errors, p.clientErrors]), [[-4, 0, 0, 0], [-3, 2, 0, 0], [-2, 0, 0, 0], [-1, 4, 1, 1]]);
  assert.equal(points.at(-1)?.p99Ms, 9);
  assert.deepEqual(series.series('s', 4, 2).map((p) => p.requests), [2, 4]);
  // long after: the old seconds have left the window; a new one counts alone
  clock += 1000 * 1000;
  series.add('s', [Math.floor(clock / 1000) - 1, 1, 0, [2]]);
  assert.equal(series.series('s', 300, 1).reduce((n, p) => n + p.requests, 0), 1);
});

test('on a farm with no more samples, sites idle for the window are swept by the timer within a sweep of the window\'s end', (t) => {
  t.mock.timers.enable({ apis: ['setInterval'] });
  let clock = 2_000_000_000_000;
  const series = createSiteSeries(() => clock);
  t.after(() => series.close());
  const start = Math.floor(clock / 1000);
  const to = (second: number) => {
    while (Math.floor(clock / 1000) < start + second) {
      clock += SWEEP_SECONDS * 1000;
      t.mock.timers.tick(SWEEP_SECONDS * 1000);
    }
  };
  for (const site of ['a', 'b', 'c']) series.add(site, [start - 1, 1, 0, [3]]);
  to(90);
  series.add('d', [start + 89, 1, 0, [3]]); // a later request of another site
  to(WINDOW_SECONDS - SWEEP_SECONDS);
  assert.equal(series.size, 4, 'inside the window: kept');
  to(WINDOW_SECONDS + SWEEP_SECONDS);
  assert.equal(series.size, 1, 'a, b and c: swept');
  to(90 + WINDOW_SECONDS + SWEEP_SECONDS);
  assert.equal(series.size, 0, 'd too, a sweep after its window ended (not at the next whole window)');
});
