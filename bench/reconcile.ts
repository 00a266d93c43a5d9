// What one reconcile costs as the farm grows: a real SQLite store (the farm's own) filled
// with N static sites in steady state (2 replicas each, their releases, 4 engines,
// assignments, ready statuses and routes: a pass has nothing to do), then timed:
//   (a) readSnapshot — every prefix read from the store, as a pass did before the mirror;
//   (b) mirror — the same snapshot from the farm mirror (farm-mirror.ts) after one change;
//   (c) planReconcile over the whole snapshot;
//   (d) a whole reconciler pass over every site (runOnce, as on each tick) after one site's
//       `replicas` changes 2 → 3;
//   (e) the same change left to the reconciler: from the site write until its new
//       assignment is in the store (the kicked pass plans that site only; includes the
//       15 ms debounce).
// Medians of ROUNDS (default 5) runs, in ms.
//
//   node --import tsx bench/reconcile.ts [N …]      (default 100 1000 10000; env ROUNDS)
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keys, type Site } from '../src/model/index.ts';
import { openSqliteStore, type Store } from '../src/store/index.ts';
import { newMemory, planReconcile } from '../src/controller/plan.ts';
import { readSnapshot, startReconciler } from '../src/controller/reconciler.ts';
import { createFarmMirror } from '../src/controller/farm-mirror.ts';
import { silentLogger } from '../src/lib/log.ts';
import { writeSteadyFarm } from './reconcile/steady-farm.ts';

const SIZES = process.argv.slice(2).map(Number).filter((n) => n > 0);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const ENGINES = 4;
const PLAN = { drainDelayMs: 1000, engineLostGraceMs: 10_000 };

console.log(`sites | readSnapshot | mirror snapshot | planReconcile | full pass | change → assignment   (ms, median of ${ROUNDS})`);
for (const n of SIZES.length > 0 ? SIZES : [100, 1000, 10_000]) {
  const dir = await mkdtemp(join(tmpdir(), 'corral-bench-reconcile-'));
  const store = await openSqliteStore(join(dir, 'farm.db'));
  try {
    await fillSteadyFarm(store, n);
    const read = await median(() => readSnapshot(store));
    const snap = await readSnapshot(store);
    const plan = await median(() => planReconcile(snap, newMemory(), { now: Date.now(), ...PLAN }));
    const mirrored = await timeMirror(store, snap.sites);
    const { full, kicked } = await timePasses(store, snap.sites);
    console.log(`${String(n).padStart(5)} | ${fmt(read).padStart(12)} | ${fmt(mirrored).padStart(15)} | ${fmt(plan).padStart(13)} | ${fmt(full).padStart(9)} | ${fmt(kicked).padStart(8)}`);
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** N sites planned to their steady state in memory (the plan's own actions applied, every server ready), then written. */
async function fillSteadyFarm(store: Store, n: number): Promise<void> {
  const count = await writeSteadyFarm(store, {
    sites: n, engines: ENGINES, maxVirtualServers: n, plan: PLAN, steps: 5,
    site: (i, name, now) => ({ name, customer: `c${i % 100}`, domains: [`${name}.bench.test`], kind: 'static', replicas: 2, healthPath: '/', env: {}, release: 'r1', createdAt: now, updatedAt: now }),
  });
  if (count > 0) throw new Error('the filled farm is not steady');
}

/** The mirror's snapshot after one site record changed (its watch delivers the change first). */
async function timeMirror(store: Store, sites: Site[]): Promise<number> {
  const mirror = createFarmMirror({ store });
  try {
    await mirror.sync();
    let i = 0;
    return await median(async () => {
      const site = sites[i++ % sites.length] as Site;
      await store.put(keys.site(site.name), JSON.stringify({ ...site, updatedAt: new Date().toISOString() }));
      const t0 = performance.now();
      await mirror.sync();
      mirror.snapshot();
      return performance.now() - t0;
    }, true);
  } finally {
    mirror.close();
  }
}

/** A site's replicas go 2 → 3 (a different site each round): a full pass run at once, then left to the reconciler's kick. */
async function timePasses(store: Store, sites: Site[]): Promise<{ full: number; kicked: number }> {
  const reconciler = await startReconciler({ store, log: silentLogger, tickMs: 3_600_000 });
  const settle = async (): Promise<void> => {
    await new Promise((r) => setTimeout(r, 50)); // the pass the change's watch kicked runs, off the clock
    await reconciler.runOnce();
  };
  try {
    await reconciler.runOnce();
    let i = sites.length - 1;
    const full = await median(async () => {
      const site = sites[i--] as Site;
      await store.put(keys.site(site.name), JSON.stringify({ ...site, replicas: 3 }));
      const t0 = performance.now();
      const acts = await reconciler.runOnce();
      const ms = performance.now() - t0;
      if (acts.create.length !== 1) throw new Error(`one new server expected, got ${acts.create.length}`);
      await settle();
      return ms;
    }, true);
    const kicked = await median(async () => {
      const site = sites[i--] as Site;
      let done: () => void = () => undefined;
      const created = new Promise<void>((r) => (done = r));
      const watcher = await store.watch(keys.assignments, (events) => {
        if (events.some((e) => e.type === 'put' && e.kv.value.includes(`"site":"${site.name}"`))) done();
      });
      const t0 = performance.now();
      await store.put(keys.site(site.name), JSON.stringify({ ...site, replicas: 3 }));
      await created;
      const ms = performance.now() - t0;
      watcher.close();
      await settle();
      return ms;
    }, true);
    return { full, kicked };
  } finally {
    await reconciler.close();
  }
}

async function median(run: () => unknown, timed = false): Promise<number> {
  const times: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    const v = await run();
    times.push(timed ? (v as number) : performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] as number;
}

function fmt(ms: number): string {
  return ms < 10 ? ms.toFixed(2) : ms.toFixed(0);
}
