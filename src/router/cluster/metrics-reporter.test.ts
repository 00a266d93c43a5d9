// A router worker's metric values go to the primary only when they may have moved and did
// (cluster-stats.ts metricsReporter): read after requests ended, every IDLE_METRICS_EVERY
// reports when idle, and always for the last report; sent only when changed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IDLE_METRICS_EVERY, metricsReporter, type MetricsJson } from './cluster-stats.ts';

test('an idle worker reads its metrics every IDLE_METRICS_EVERY reports and sends them only when they changed', async () => {
  let reads = 0;
  let value = 1;
  const json = (): MetricsJson => [{ name: 'corral_router_requests_total', help: '', type: 'counter', aggregator: 'sum', values: [{ value, labels: {} }] }] as unknown as MetricsJson;
  const next = metricsReporter(async () => (reads++, json()));
  assert.deepEqual(await next(false), json(), 'the first report carries them');
  // idle: no read until the IDLE_METRICS_EVERY-th report, and nothing sent when unchanged
  const sent: (MetricsJson | undefined)[] = [];
  for (let i = 0; i < IDLE_METRICS_EVERY; i++) sent.push(await next(false));
  assert.equal(reads, 2, `read ${reads} times in ${IDLE_METRICS_EVERY + 1} reports`);
  assert.ok(sent.every((m) => m === undefined));
  // something moved without requests: seen within IDLE_METRICS_EVERY reports
  value = 2;
  let seen: MetricsJson | undefined;
  for (let i = 0; i < IDLE_METRICS_EVERY && !seen; i++) seen = await next(false);
  assert.deepEqual(seen, json());
  // requests ended: read at once, sent when changed
  value = 3;
  assert.deepEqual(await next(true), json());
  assert.equal(await next(true), undefined, 'read again, unchanged: not sent');
  assert.deepEqual(await next(false, true), json(), 'the last report always carries them');
});
