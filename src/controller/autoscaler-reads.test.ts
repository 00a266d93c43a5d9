// What the leader's autoscaler reads each tick on a farm of many sites, few autoscaled: the
// sites and scale records come from the reconciler's farm mirror, so a tick reads neither
// prefix from the store (it read every site every second), only the routers' records and
// the wakes; and with no site autoscaling, the wakes alone. It still decides for the
// autoscaled sites, and sees a site that starts autoscaling.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { keys, type ScaleRecord, type Site } from '../model/index.ts';
import { openSqliteStore } from '../store/index.ts';
import { waitFor } from '../lib/wait.ts';
import { startReconciler } from './reconciler.ts';
import { countRanges } from './test-harness.ts';

const N = 300;
const site = (i: number, autoscale: boolean): Site => ({
  id: `id${i}`, name: `s${i}`, customer: 'acme', domains: [`s${i}.test`], kind: 'app', command: 'x', replicas: 0, healthPath: '/', env: {}, createdAt: '', updatedAt: '',
  ...(autoscale ? { autoscale: { minReplicas: 0, maxReplicas: 2, idleTimeoutMs: 600_000 } } : {}),
});

/** Until the autoscaler has read the wakes `ticks` more times, then the reads of each prefix meanwhile. */
async function readsOver(counts: Map<string, number>, ticks: number): Promise<Map<string, number>> {
  const before = new Map(counts);
  await waitFor(() => (counts.get(keys.wakes) ?? 0) - (before.get(keys.wakes) ?? 0) >= ticks, { what: `${ticks} autoscaler ticks` });
  return new Map([...counts].map(([p, n]) => [p, n - (before.get(p) ?? 0)]));
}

test(`the autoscaler reads no site from the store per tick (${N} sites, 2 autoscaled), and routers' figures only while a site autoscales`, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'corral-autoscaler-reads-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const store = await openSqliteStore(join(dir, 'farm.db'));
  t.after(() => store.close());
  for (let i = 0; i < N; i += 100) {
    await store.txn({ compare: [], success: Array.from({ length: 100 }, (_, j) => ({ type: 'put' as const, key: keys.site(`s${i + j}`), value: JSON.stringify(site(i + j, i + j < 2)) })) });
  }
  const counts = countRanges(store).byPrefix;
  const reconciler = await startReconciler({ store, tickMs: 3_600_000, autoscale: { tickMs: 20 } });
  t.after(() => reconciler.close());
  const scaled = async () => (await store.range(keys.scales)).kvs.map((kv) => (JSON.parse(kv.value) as ScaleRecord).site).sort();

  await waitFor(async () => (await scaled()).length === 2, { what: 'the two autoscaled sites decided' });
  assert.deepEqual(await scaled(), ['s0', 's1']);
  const busy = await readsOver(counts, 10);
  assert.equal(busy.get(keys.sites) ?? 0, 0, 'sites read from the store while ticking');
  assert.equal(busy.get(keys.scales) ?? 0, 0, 'scale records read from the store while ticking');
  assert.ok((busy.get(keys.routerLoads) ?? 0) >= 10, `routers' figures read ${busy.get(keys.routerLoads) ?? 0} times in 10 ticks`);

  // a third site starts autoscaling: seen from the mirror
  await store.put(keys.site('s7'), JSON.stringify(site(7, true)));
  await waitFor(async () => (await scaled()).includes('s7'), { what: 's7 decided' });

  // nobody autoscales any more: the records go, then a tick reads the wakes only
  for (const i of [0, 1, 7]) await store.put(keys.site(`s${i}`), JSON.stringify(site(i, false)));
  await waitFor(async () => (await scaled()).length === 0, { what: 'the scale records removed' });
  await readsOver(counts, 2); // the tick that removed them and the mirror catching up
  const idle = await readsOver(counts, 10);
  assert.deepEqual([...idle].filter(([, n]) => n > 0).map(([p]) => p), [keys.wakes], 'what an idle tick reads');
});
