// A router worker's metric values go to the primary only when they may have moved
// (cluster-stats.ts metricsReporter): after requests ended, every IDLE_METRICS_EVERY
// reports when idle, and always with the last report.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IDLE_METRICS_EVERY, metricsReporter, type MetricsJson } from './cluster-stats.ts';

test('an idle worker reads and sends its metrics every IDLE_METRICS_EVERY reports; after requests and at the end, every time', async () => {
  let reads = 0;
  const json = [{ name: 'corral_router_requests_total', help: '', type: 'counter', aggregator: 'sum', values: [{ value: 1, labels: {} }] }] as unknown as MetricsJson;
  const next = metricsReporter(async () => (reads++, json));
  assert.equal(await next(false), json, 'the first report carries them');
  const idle: (MetricsJson | undefined)[] = [];
  for (let i = 0; i < 3 * IDLE_METRICS_EVERY; i++) idle.push(await next(false));
  assert.equal(reads, 4, `read ${reads} times in ${3 * IDLE_METRICS_EVERY + 1} idle reports`);
  assert.equal(idle.filter((m) => m !== undefined).length, 3);
  assert.equal(idle.at(-1), json, 'every IDLE_METRICS_EVERY-th report');
  assert.equal(await next(true), json, 'requests ended: read at once');
  assert.equal(await next(true), json);
  assert.equal(await next(false), undefined);
  assert.equal(await next(false, true), json, 'the last report always carries them');
});
