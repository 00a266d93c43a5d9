// What the leader's control loops cost on an idle farm of N pooled static sites, without
// engines, guests or routers: a real SQLite store filled with the farm in steady state
// (PER_CUSTOMER sites to a customer, pooled on ENGINES engines: the pools' assignments,
// ready statuses and every route, as the plan makes them), then the reconciler (with the
// autoscaler beside it, as the leader runs them) started on it and left alone for SECONDS.
// Prints the process's CPU time over that window (% of one core), the reconcile passes
// (full and kicked) and the store's range reads meanwhile. AUTOSCALED (default 0) of the
// sites autoscale (min 1, max 3). With PROFILE=<file.cpuprofile> the window is profiled
// (node:inspector) and the functions with the most self time are listed.
//
//   node --import tsx bench/controller-idle.ts [N …]    (default 1000; env SECONDS=10, PER_CUSTOMER=100, ENGINES=1, AUTOSCALED=0, PROFILE)
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore, type Store } from '../src/store/index.ts';
import { startReconciler } from '../src/controller/reconciler.ts';
import { metricsRegistry } from '../src/controller/index.ts';
import { silentLogger } from '../src/lib/log.ts';
import { countRanges } from '../src/controller/test-harness.ts';
import { pooledStaticSite, writeSteadyFarm } from './reconcile/steady-farm.ts';

const SIZES = process.argv.slice(2).map(Number).filter((n) => n > 0);
const SECONDS = Number(process.env.SECONDS ?? 10);
const PER_CUSTOMER = Number(process.env.PER_CUSTOMER ?? 100);
const ENGINES = Number(process.env.ENGINES ?? 1);
const AUTOSCALED = Number(process.env.AUTOSCALED ?? 0);
const PLAN = { drainDelayMs: 1000, engineLostGraceMs: 10_000 };

console.log(`controller idle: pooled static sites, ${PER_CUSTOMER} per customer, ${ENGINES} engine(s), ${AUTOSCALED} autoscaled, ${SECONDS} s window`);
console.log('sites | CPU % of one core | passes (full / kicked) | store range reads');
for (const n of SIZES.length > 0 ? SIZES : [1000]) {
  const dir = await mkdtemp(join(tmpdir(), 'corral-bench-idle-'));
  const store = await openSqliteStore(join(dir, 'farm.db'));
  try {
    await fillSteadyFarm(store, n);
    const ranges = countRanges(store);
    const reconciler = await startReconciler({ store, log: silentLogger });
    await reconciler.runOnce();
    await new Promise((r) => setTimeout(r, 1_000)); // the first passes and ticks, off the window
    const before = { cpu: process.cpuUsage(), ranges: ranges.count, passes: await passCounts() };
    const session = process.env.PROFILE ? await startProfile() : undefined;
    await new Promise((r) => setTimeout(r, SECONDS * 1_000)); // the measuring window, not a wait for readiness
    const profile = session ? await stopProfile(session) : undefined;
    const cpu = process.cpuUsage(before.cpu);
    const passes = await passCounts();
    await reconciler.close();
    const pct = ((cpu.user + cpu.system) / 1e6 / SECONDS) * 100;
    const full = passes.full - before.passes.full;
    console.log(`${String(n).padStart(5)} | ${pct.toFixed(1).padStart(17)} | ${`${full} / ${passes.all - before.passes.all - full}`.padStart(22)} | ${ranges.count - before.ranges}`);
    if (profile) await report(profile, process.env.PROFILE as string);
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** N pooled sites planned to their steady state in memory (the plan's own actions applied, every pool ready), then written. */
async function fillSteadyFarm(store: Store, n: number): Promise<void> {
  const count = await writeSteadyFarm(store, {
    sites: n, engines: ENGINES, maxVirtualServers: n + 16, plan: PLAN, steps: 8,
    site: (i, name, now) => pooledStaticSite(i, name, now, PER_CUSTOMER, AUTOSCALED),
  });
  if (count > 0) console.log(`  note: the filled farm still plans ${count} action(s)`);
}

/** Reconcile passes so far (corral_reconcile_duration_seconds' count) and, of them, the full ones (corral_reconcile_full_passes_total if present). */
async function passCounts(): Promise<{ all: number; full: number }> {
  const text = await metricsRegistry.metrics();
  const read = (name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
  return { all: read('corral_reconcile_duration_seconds_count'), full: read('corral_reconcile_full_passes_total') };
}

async function startProfile(): Promise<Session> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return session;
}

interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }
interface Profile { nodes: ProfileNode[]; samples?: number[] }

async function stopProfile(session: Session): Promise<Profile> {
  const { profile } = await session.post('Profiler.stop');
  session.disconnect();
  return profile as unknown as Profile;
}

/** The profile written out, and the 15 functions with the most self time. */
async function report(profile: Profile, file: string): Promise<void> {
  await writeFile(file, JSON.stringify(profile));
  const self = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    total += hits;
    const f = node.callFrame;
    const name = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(src|bench|node_modules)\//, '$1/')}:${f.lineNumber + 1}`;
    self.set(name, (self.get(name) ?? 0) + hits);
  }
  const busy = total - (self.get('(idle) :0') ?? 0);
  console.log(`  profile: ${file} (${busy} busy samples of ${total}); self time, share of busy samples:`);
  for (const [name, hits] of [...self].filter(([n]) => !n.startsWith('(idle)')).sort((a, b) => b[1] - a[1]).slice(0, 15)) {
    console.log(`  ${((hits / Math.max(busy, 1)) * 100).toFixed(1).padStart(5)} %  ${name}`);
  }
}
