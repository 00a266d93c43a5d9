// The compact series (series.ts) against prom-client's own: the same observations give the
// same exposition text; a drain carries counters' and histograms' increments since the
// last one (then forgotten) and the gauges that moved; the cluster primary (cluster-stats.ts)
// adds the increments into one total, keeps a dead worker's counts and drops its gauges, and
// forgets removed sites.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Counter, Histogram, Registry } from 'prom-client';
import { createClusterStats } from './cluster/cluster-stats.ts';
import { drainChanges, SeriesFamily } from './series.ts';
import { byText } from '../lib/text-order.ts';
import { CHUNK_CHARS, mergedRegistry, SeriesRegistry } from './series-registry.ts';
import { scrapeChunks } from '../lib/metrics-scrape.ts';

const BUCKETS = [0.001, 0.01, 0.1, 1];

test('a compact counter and histogram print exactly what prom-client prints for the same observations, by their own text path and by prom-client\'s', async () => {
  const theirs = new Registry();
  const counter = new Counter({ name: 't_requests_total', help: 'requests \\ "all"\nof them', labelNames: ['site', 'code'], registers: [theirs] });
  const histogram = new Histogram({ name: 't_seconds', help: 'time', labelNames: ['site'], buckets: BUCKETS, registers: [theirs] });
  const c = new SeriesFamily({ name: 't_requests_total', help: 'requests \\ "all"\nof them', kind: 'counter', labelNames: ['site', 'code'] });
  const h = new SeriesFamily({ name: 't_seconds', help: 'time', kind: 'histogram', labelNames: ['site'], buckets: BUCKETS });
  const ours = new SeriesRegistry([c, h].map((f) => ({ spec: f.spec, read: () => f.values })));

  const seen: [string, string, number][] = [['a', '2xx', 0.0005], ['a', '2xx', 0.001], ['a', '5xx', 0.05], ['b"\\\nq', '2xx', 3], ['a', '2xx', 0.2]];
  for (const [site, code, s] of seen) {
    counter.inc({ site, code });
    histogram.observe({ site }, s);
    c.inc([site, code]);
    h.observe([site], s);
  }
  const expected = await theirs.metrics();
  assert.equal(await ours.metrics(), expected, 'the text path');
  assert.equal(await Registry.merge([ours]).metrics(), expected, "prom-client's path (a plain merge)");
  const samples = async (r: Registry) => (await r.getMetricsAsJSON()).flatMap((m) => m.values.map((v) => {
    const labels = Object.entries(v.labels).sort(([a], [b]) => byText(a, b));
    return `${(v as { metricName?: string }).metricName ?? m.name} ${JSON.stringify(labels)} ${v.value}`;
  })).sort();
  assert.deepEqual(await samples(ours), await samples(theirs), 'the JSON form: the same samples');
  // merged with other registries: the same lines as prom-client's merge of them all
  const other = new Registry();
  new Counter({ name: 'o_total', help: 'other', registers: [other] }).inc(2);
  const lines = (text: string) => text.split('\n').filter((l) => l !== '').sort();
  assert.deepEqual(lines(await mergedRegistry(() => [other, ours]).metrics()), lines(await Registry.merge([other, theirs]).metrics()));
});

test('a drain carries the increments since the last one and forgets them; a gauge that moved, at its value', () => {
  const c = new SeriesFamily({ name: 'x_total', help: 'x', kind: 'counter', labelNames: ['site'] });
  const h = new SeriesFamily({ name: 'x_seconds', help: 'x', kind: 'histogram', labelNames: ['site'], buckets: BUCKETS });
  const g = new SeriesFamily({ name: 'x_open', help: 'x', kind: 'gauge', labelNames: [] });
  for (let i = 0; i < 1000; i++) c.inc([`s${i}`]);
  assert.equal(drainChanges([c, h, g])?.x_total?.length, 1000);
  assert.equal(c.values.size, 0, 'a drained counter holds nothing: an idle worker keeps no series');
  assert.equal(drainChanges([c, h, g]), undefined, 'nothing moved: nothing to send');
  c.inc(['s7'], 2);
  c.inc(['s7']);
  h.observe(['s7'], 0.05);
  g.inc([], 3);
  const changes = drainChanges([c, h, g]);
  assert.deepEqual(changes, { x_total: [[['s7'], [3]]], x_seconds: [[['s7'], [0, 0, 1, 0, 0, 0.05]]], x_open: [[[], [3]]] });
  c.inc(['s7']);
  g.inc([], -1);
  assert.deepEqual(changes?.x_total, [[['s7'], [3]]], 'later counts do not change what was sent');
  assert.deepEqual(changes?.x_open, [[[], [3]]]);
  assert.deepEqual(drainChanges([c, h, g]), { x_total: [[['s7'], [1]]], x_open: [[[], [2]]] }, 'the next drain: the increment since, and the gauge as it is');
});

test('the primary sums its workers, keeps a dead worker\'s counters but not its gauges, and forgets removed sites', async () => {
  const stats = createClusterStats();
  const requests = 'corral_site_requests_total';
  const connections = 'corral_router_active_connections';
  stats.report(1, {}, { [requests]: [[['a', '2xx'], [5]], [['b', '2xx'], [1]]], [connections]: [[[], [3]]] });
  stats.report(2, {}, { [requests]: [[['a', '2xx'], [2]]], [connections]: [[[], [4]]] });
  stats.report(1, {}, { [requests]: [[['a', '2xx'], [1]]], [connections]: [[[], [2]]] }); // increments add up; a gauge is its latest value
  const text = async () => stats.metricsRegistry().metrics();
  assert.match(await text(), /^corral_site_requests_total\{site="a",code="2xx"\} 8$/m);
  assert.match(await text(), /^corral_router_active_connections 6$/m);
  stats.retire(1);
  assert.match(await text(), /^corral_site_requests_total\{site="a",code="2xx"\} 8$/m, 'counts never go back');
  assert.match(await text(), /^corral_router_active_connections 4$/m, "a dead worker's connections are gone");
  stats.report(3, {}, { [requests]: [[['a', '2xx'], [1]]] });
  assert.match(await text(), /^corral_site_requests_total\{site="a",code="2xx"\} 9$/m);
  stats.siteStats.updateRoutes({ put: [], remove: ['b'] });
  assert.doesNotMatch(await text(), /site="b"/, 'a removed site\'s series end');
  stats.report(2, {}, { corral_unknown_total: [[['a'], [1]]] });
  assert.doesNotMatch(await text(), /corral_unknown_total/, 'a series the primary does not know is ignored');
});

test('a scrape is written in pieces whose join is the whole text; no piece splits a line or a histogram\'s label set', async () => {
  const c = new SeriesFamily({ name: 'p_requests_total', help: 'requests', kind: 'counter', labelNames: ['site', 'code'] });
  const h = new SeriesFamily({ name: 'p_seconds', help: 'time', kind: 'histogram', labelNames: ['site'], buckets: BUCKETS });
  for (let i = 0; i < 5000; i++) {
    c.inc([`site-${i}`, '2xx'], i);
    h.observe([`site-${i}`], i / 1000);
  }
  const series = new SeriesRegistry([c, h].map((f) => ({ spec: f.spec, read: () => f.values })));
  const other = new Registry();
  new Counter({ name: 'o_total', help: 'other', registers: [other] }).inc(2);
  const certificates = new Registry();
  new Counter({ name: 'cert_total', help: 'other', registers: [certificates] }).inc();
  const merged = mergedRegistry(() => [other, mergedRegistry(() => [series])]);

  const pieces: string[] = [];
  for await (const piece of scrapeChunks([merged, certificates])) pieces.push(piece);
  // what /metrics answered before: the prom-client part, a blank line, the series' text; a blank line, the next registry
  const before = `${(await other.metrics()).replace(/\n$/, '')}\n\n${await Registry.merge([series]).metrics()}\n${await certificates.metrics()}`;
  assert.equal(pieces.join(''), before, 'the same text as before, byte for byte');
  assert.equal(await merged.metrics(), before.slice(0, before.length - (1 + (await certificates.metrics()).length)));
  assert.ok(pieces.length > 5, `${pieces.length} pieces`);
  const longest = Math.max(...pieces.map((p) => p.length));
  assert.ok(longest < CHUNK_CHARS + 1000, `the longest piece is ${longest} characters: about CHUNK_CHARS, never the whole text`);
  for (const piece of pieces) {
    assert.ok(piece.endsWith('\n'), 'a piece ends at a line end');
    const firstSeries = piece.split('\n').find((l) => l !== '' && !l.startsWith('#'));
    if (firstSeries?.startsWith('p_seconds')) assert.match(firstSeries, /^p_seconds_bucket\{le="0\.001",/, 'a piece starts a histogram\'s label set at its first bucket');
  }
  // the series registry alone, and through prom-client's own merge: the same text
  let alone = '';
  for await (const piece of scrapeChunks([series])) alone += piece;
  assert.equal(alone, await series.metrics());
  assert.equal(alone, await Registry.merge([series]).metrics());
});
