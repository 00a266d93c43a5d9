import { test } from 'node:test';
import assert from 'node:assert/strict';
import cluster from 'node:cluster';
import { request } from 'node:http';
import type { Registry } from 'prom-client';
import { waitFor } from '../../lib/wait.ts';
import { startRouterCluster } from './cluster.ts';
import { route, startBackend } from '../testing.ts';

/** One request on a fresh connection (so the kernel may hand it to any worker). */
function get(port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, headers: { host, connection: 'close' }, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

async function total(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  // a histogram's _count and _bucket samples are values of the histogram, named by metricName
  const values = (await registry.getMetricsAsJSON()).flatMap((m) => m.values.map((v) => ({ ...v, name: (v as { metricName?: string }).metricName ?? m.name })));
  return values.filter((v) => v.name === name && Object.entries(labels).every(([k, want]) => v.labels[k] === want)).reduce((n, v) => n + v.value, 0);
}

test('router workers report to the primary: merged /metrics counters and per-site series count every request, and survive a worker dying', async (t) => {
  const a = await startBackend(t, 'a');
  const rc = await startRouterCluster({ workers: 2, listen: { port: 0, host: '127.0.0.1' }, router: { metrics: true }, routes: [route('s', ['s.test'], [a]), route('quiet', ['q.test'], [a])] });
  t.after(() => rc.close(2_000));
  const N = 40;
  for (let i = 0; i < N; i++) assert.equal(await get(rc.port, 's.test'), 200);

  await waitFor(async () => (await total(rc.metricsRegistry(), 'corral_site_requests_total', { site: 's', code: '2xx' })) === N, { what: `${N} requests in the merged corral_site_requests_total` });
  const merged = rc.metricsRegistry();
  assert.equal(await total(merged, 'corral_router_upstream_requests_total', { site: 's', code: '2xx' }), N);
  assert.equal(await total(merged, 'corral_router_upstream_duration_seconds_count', { site: 's' }), N);
  assert.equal(await total(merged, 'corral_site_requests_total', { site: 'quiet' }), 0);
  const text = await merged.metrics();
  assert.equal(text.match(/^# TYPE corral_site_requests_total counter$/gm)?.length, 1, 'one TYPE line per series, not one per worker');

  // the series ends at the last whole second: wait for the requests' seconds to close
  await waitFor(() => rc.siteStats.series('s', 60).reduce((n, p) => n + p.requests, 0) === N, { what: `${N} requests in the site series` });
  const points = rc.siteStats.series('s', 60).filter((p) => p.requests > 0);
  assert.ok(points.every((p) => p.errors === 0 && p.p50Ms !== undefined && p.p99Ms !== undefined));
  assert.equal(rc.siteStats.series('quiet', 60).reduce((n, p) => n + p.requests, 0), 0);

  // a worker that dies keeps its counts in the total; its replacement adds to them
  const pid = Object.values(cluster.workers ?? {})[0]!.process.pid!;
  process.kill(pid, 'SIGKILL');
  await waitFor(() => Object.values(cluster.workers ?? {}).filter((w) => !w!.isDead() && w!.process.pid !== pid).length === 2, { what: 'a replacement worker' });
  assert.equal(await total(rc.metricsRegistry(), 'corral_site_requests_total', { site: 's' }), N);
  await waitFor(async () => (await get(rc.port, 's.test').catch(() => 0)) === 200, { what: 'the cluster to serve again' });
  await waitFor(async () => (await total(rc.metricsRegistry(), 'corral_site_requests_total', { site: 's' })) > N, { what: 'counts to grow past the dead worker\'s' });
});
