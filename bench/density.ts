// Density: how many sites one engine holds, run with `node --import tsx bench/density.ts [N]`.
// A real `corral up` in a temp dir (one engine), then:
//  1. N static sites (default 10000), PER_CUSTOMER to a customer, each created and given a
//     release of its own (one small page naming the site) through the REST API, CONCURRENCY
//     calls in flight — not through the CLI, whose Node start per command (≈ 0.2–0.5 s) would
//     take hours at 10,000 sites; then every site is checked through the router: 200 and its
//     own page. Prints the deploy rate, the time until all answer, memory (RSS and PSS from
//     /proc/<pid>/smaps_rollup over the process tree of `corral up`: per part, total and per
//     site), the route lookup (the route table with N routes, and a request through the
//     router at 1 site and at N sites), and the CPU of the idle farm over 10 s;
//  2. APPS app sites (examples/node-app, default 1000) with minReplicas 0 and a short idle
//     timeout; once all are at zero, a random WAKE of them (default 100) are woken WAKE_GROUP
//     at a time (one GET each on a new connection) and the time to the whole 200 is taken:
//     p50/p99/max and failures.
// Everything lives in the farm's temp dir and is removed at the end, and on Ctrl-C.
// Environment: APPS, WAKE, APP_MEMORY (each app site's memory limit, MiB; default the engine's 256), RUNTIME (process|namespace, default process), PER_CUSTOMER (100),
// CONCURRENCY (16 API calls in flight), IDLE (app idle timeout, default 2s), WAKE_GROUP (5),
// KEEP_LOGS=<folder> (copy the farm's JSON logs there before its temp dir is removed),
// SETTLE (seconds, default 30: the idle CPU is measured again after the farm has been left
// alone this long), HOLD (seconds: keep the farm up after the static phase, printing the
// control plane's RSS and CPU every 30 s and its processes, for a profiler or a heap snapshot;
// Ctrl-C ends it early).
// With a `corral up` that has --static-pools (pooled static hosting) the bench turns it on
// (STATIC_POOLS=0: not) and says which mode ran. Copy the figures into bench/RESULTS.md
// with the date and machine.
import { cp, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { packDirectory } from '../src/lib/tarball.ts';
import { waitFor } from '../src/lib/wait.ts';
import { mallocInUse } from '../src/lib/malloc.ts';
import { buildRouter, buildRouteTable } from '../src/router/index.ts';
import type { Route } from '../src/model/index.ts';
import { REPO, removeDir, runCli, startFarmProcess, type FarmProcess } from '../test/helpers/farm-process.ts';
import { describeCounters, farmApi, keepAlive, mapLimit, readCounters, type FarmApi } from './density/farm-api.ts';
import { routerGet } from '../test/helpers/http.ts';
import { cpuPercent, PART_LABELS, sampleTree, stillRunning, totals, type Part, type ProcessSample } from './density/proc-tree.ts';
import { startMonitor } from './density/monitor.ts';
import { int, quantile, shuffle } from './density/samples.ts';
import { marker, singleFileTarball, sitePage } from './density/site-tarball.ts';

const N = int(process.argv[2] ?? process.env.N, 10_000);
const APPS = int(process.env.APPS, 1000);
const WAKE = Math.min(int(process.env.WAKE, 100), APPS);
const RUNTIME = process.env.RUNTIME ?? 'process';
const PER_CUSTOMER = int(process.env.PER_CUSTOMER, 100);
const CONCURRENCY = int(process.env.CONCURRENCY, 16);
const IDLE_MS = durationMs(process.env.IDLE ?? '2s');
const WAKE_GROUP = int(process.env.WAKE_GROUP, 5);
/** APP_MEMORY: each app site's memory limit, MiB (`--memory`); unset, the engine's default (256), which every app server reserves (placement by memory). */
const APP_MEMORY_MB = process.env.APP_MEMORY ? int(process.env.APP_MEMORY, 256) : undefined;
const SETTLE_S = int(process.env.SETTLE, 30);
const HOLD_S = int(process.env.HOLD, 0);
const MIB = 1024;

const upHelp = (await runCli(['up', '--help'])).stdout;
const poolsFlag = upHelp.includes('--static-pools');
const pooled = poolsFlag && process.env.STATIC_POOLS !== '0';
// where pooled is corral up's default (it has --no-static-pools), STATIC_POOLS=0 must say so
const unpooledArgs = upHelp.includes('--no-static-pools') ? ['--no-static-pools'] : [];
const maxVs = Math.min(10_000, N + APPS + 16);
console.log(`density bench: ${N} static sites, ${APPS} app sites (wake ${WAKE}), ${RUNTIME} runtime, ${PER_CUSTOMER} sites per customer, ${CONCURRENCY} API calls in flight`);
console.log(pooled
  ? 'mode: pooled static hosting (corral up --static-pools: one web-runtime VS per customer per engine)'
  : `mode: one VS per static site (${poolsFlag ? 'STATIC_POOLS=0' : 'this corral up has no --static-pools'})`);
if (!pooled && N + APPS > 10_000) console.log(`  note: --max-vs is at most 10000; ${N + APPS - 10_000} sites will wait unplaced`);
console.log('sites are made through the REST API in parallel, not with the CLI (a Node start per command would dominate)');

const farm = await startFarmProcess({
  extraArgs: ['--runtime', RUNTIME, '--no-databases', '--max-vs', String(maxVs), ...(pooled ? ['--static-pools'] : unpooledArgs)],
});
console.log(`corral up's malloc: ${mallocInUse(await readFile(`/proc/${farm.child.pid}/maps`, 'utf8'))} (bin/corral.js's launcher; CORRAL_MALLOC=glibc for glibc's); its router workers: glibc`);
const api = farmApi(farm.apiUrl, farm.token);
let lastTree: ProcessSample[] = [];
let interrupted = false;
const stop = once(() => shutDown(farm, lastTree));
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    interrupted = true;
    console.log(`\n${signal}: stopping the farm and removing ${farm.dir}`);
    void stop().finally(() => process.exit(130));
  });
}

try {
  await staticSites(api, farm);
  if (APPS > 0) await appSites(api, farm);
} catch (err) {
  process.exitCode = 1;
  if (!interrupted) console.error(`failed: ${(err as Error).stack ?? String(err)}`); // else: the farm going away mid-call
} finally {
  await stop();
}

async function staticSites(api: FarmApi, farm: FarmProcess): Promise<void> {
  const names = Array.from({ length: N }, (_, i) => `s${i}`);
  const host = (site: string) => `${site}.density.test`;
  const customer = (i: number) => `dens-${Math.floor(i / PER_CUSTOMER)}`;
  await mapLimit(unique(names.map((_, i) => customer(i))), CONCURRENCY, (name) => api.call('POST', '/v1/customers', { name }));
  const deploy = async (site: string, i: number): Promise<void> => {
    await api.call('POST', '/v1/sites', { name: site, customer: customer(i), kind: 'static', domains: [host(site)] });
    await api.upload(site, singleFileTarball('index.html', sitePage(site)));
  };
  const answers = async (site: string) => {
    const r = await routerGet(farm.routerUrl, host(site), keepAlive);
    return r.status === 200 && r.body.includes(marker(site));
  };

  // one site first: the request time through the router at 1 site
  await deploy(names[0]!, 0);
  await waitFor(() => answers(names[0]!), { timeoutMs: 60_000, what: `${names[0]} answering` });
  const atOne = await requestTimes(farm.routerUrl, host(names[0]!));

  const before = readCounters(await api.metrics());
  const t0 = performance.now();
  const seconds = () => ((performance.now() - t0) / 1000).toFixed(1);
  const rest = names.slice(1);
  const pending = new Set(names);
  let made = 1;
  const stopMonitor = startMonitor(api, farm.child.pid!, () => `${made}/${N} deployed, ${N - pending.size}/${N} answering`);
  try {
    await mapLimit(rest, CONCURRENCY, async (site, j) => {
      await deploy(site, j + 1);
      made++;
    });
    const apiSeconds = (performance.now() - t0) / 1000;
    console.log(`deploy rate (site create + release upload through the API): ${(rest.length / apiSeconds).toFixed(1)} sites/s (${rest.length} in ${apiSeconds.toFixed(1)} s)`);
    await waitFor(async () => {
      const ok = await mapLimit([...pending], 32, async (site) => ((await answers(site)) ? site : undefined));
      for (const site of ok) if (site) pending.delete(site);
      return pending.size === 0;
    }, { timeoutMs: Math.max(300_000, N * 100), intervalMs: 250, what: `every site answering (${pending.size} not yet, e.g. ${[...pending].slice(0, 5).join(', ')})` });
  } finally {
    await stopMonitor();
  }
  console.log(`all ${N} static sites answer 200 with their own page ${seconds()} s after the first create`);
  console.log(`control plane during the deploy: ${describeCounters(before, readCounters(await api.metrics()))}`);

  const tree = await sampleTree(farm.child.pid!);
  lastTree = tree;
  printMemory(tree, N);
  await printRouteLookup(atOne, await requestTimes(farm.routerUrl, host(names[0]!)), names.map(host));
  await idleCpu(api, farm, 'right after the last site answered');
  if (SETTLE_S > 0) {
    await new Promise((r) => setTimeout(r, SETTLE_S * 1000)); // leaving the farm alone, not waiting for readiness
    await idleCpu(api, farm, `after ${SETTLE_S} s more left alone`);
    const settled = await sampleTree(farm.child.pid!);
    lastTree = settled;
    printMemory(settled, N);
  }
  if (HOLD_S > 0) {
    console.log(`holding the farm for ${HOLD_S} s (Ctrl-C ends it); its processes:`);
    for (const s of lastTree) console.log(`  ${s.pid} ${s.command.slice(0, 120)}`);
    // the control plane's RSS every 30 s: V8 gives a burst's pages back in its own time, and
    // the console's per-site charts keep 5 minutes of samples; and its CPU over those 30 s
    // (a window long enough to hold the farm's periodic work: a full reconcile pass every
    // two minutes at 10,000 sites, a heap collection now and then)
    const start = Date.now();
    const end = start + HOLD_S * 1000;
    let before = await sampleTree(farm.child.pid!);
    let since = Date.now();
    while (Date.now() < end) {
      await new Promise((r) => setTimeout(r, Math.min(30_000, Math.max(0, end - Date.now()))));
      const now = await sampleTree(farm.child.pid!);
      const cpu = cpuPercent(before, now, (Date.now() - since) / 1000);
      [before, since] = [now, Date.now()];
      const by = totals(now);
      const mib = (kib: number) => (kib / MIB).toFixed(0);
      console.log(`  hold ${Math.round((Date.now() - start) / 1000)} s: control plane RSS main ${mib(by.main.rssKiB)} + router workers ${mib(by['router workers'].rssKiB)} = ${mib(by.main.rssKiB + by['router workers'].rssKiB)} MiB (PSS ${mib(by.main.pssKiB + by['router workers'].pssKiB)}); CPU since the last line main ${cpu.main.toFixed(1)} + workers ${cpu['router workers'].toFixed(1)} % of one core`);
    }
  }
}

async function appSites(api: FarmApi, farm: FarmProcess): Promise<void> {
  const names = Array.from({ length: APPS }, (_, i) => `a${i}`);
  const host = (site: string) => `${site}.density.test`;
  const customer = (i: number) => `dens-app-${Math.floor(i / PER_CUSTOMER)}`;
  const tarPath = join(farm.dir, 'node-app.tar.gz');
  await packDirectory(join(REPO, 'examples', 'node-app'), tarPath);
  const tarball = await readFile(tarPath); // the same bytes for every app site
  await mapLimit(unique(names.map((_, i) => customer(i))), CONCURRENCY, (name) => api.call('POST', '/v1/customers', { name }));

  const before = readCounters(await api.metrics());
  const t0 = performance.now();
  let made = 0;
  let vsCount = 0;
  const stopMonitor = startMonitor(api, farm.child.pid!, () => `${made}/${APPS} app sites deployed, ${vsCount} of their VSs up`);
  try {
    await mapLimit(names, CONCURRENCY, async (site, i) => {
      await api.call('POST', '/v1/sites', {
        name: site, customer: customer(i), kind: 'app', domains: [host(site)], command: 'node server.js', healthPath: '/health',
        drainTimeoutMs: 0, autoscale: { minReplicas: 0, maxReplicas: 1, idleTimeoutMs: IDLE_MS },
        ...(APP_MEMORY_MB !== undefined ? { resources: { memoryMb: APP_MEMORY_MB } } : {}),
      });
      await api.upload(site, tarball);
      made++;
    });
    console.log(`${APPS} app sites created and deployed through the API in ${((performance.now() - t0) / 1000).toFixed(1)} s (scale to zero after ${IDLE_MS} ms idle)`);

    // every site started once for its deploy, then went to zero: a scale.zero decision each, and no VS left
    const apps = new Set(names);
    await waitFor(async () => {
      const vs = await api.call<{ virtualServers: { site?: string }[] }>('GET', '/v1/vs');
      vsCount = vs.virtualServers.filter((v) => v.site !== undefined && apps.has(v.site)).length;
      const now = readCounters(await api.metrics());
      return vsCount === 0 && (now.decisions['scale.zero'] ?? 0) - (before.decisions['scale.zero'] ?? 0) >= APPS;
    }, { timeoutMs: Math.max(180_000, APPS * 500), intervalMs: 500, what: 'every app site at zero' });
  } finally {
    await stopMonitor();
  }
  console.log(`all ${APPS} app sites at zero ${((performance.now() - t0) / 1000).toFixed(1)} s after the first create`);

  const chosen = shuffle(names).slice(0, WAKE);
  const wakes: number[] = [];
  const failures: string[] = [];
  for (let g = 0; g < chosen.length; g += WAKE_GROUP) {
    await Promise.all(chosen.slice(g, g + WAKE_GROUP).map(async (site) => {
      const r = await routerGet(farm.routerUrl, host(site), false);
      if (r.status === 200 && r.body.includes(`"site":"${site}"`)) wakes.push(r.ms);
      else failures.push(`${site}: ${r.status} ${r.body.slice(0, 120)}`);
    }));
  }
  wakes.sort((a, b) => a - b);
  console.log(`wake from zero → whole 200 (app site, ${wakes.length} wakes, ${WAKE_GROUP} at a time): p50 ${quantile(wakes, 0.5).toFixed(0)} ms, p99 ${quantile(wakes, 0.99).toFixed(0)} ms, max ${(wakes.at(-1) ?? NaN).toFixed(0)} ms`);
  console.log(`wake failures: ${failures.length}${failures.length ? `\n  ${failures.slice(0, 20).join('\n  ')}` : ''}`);
  console.log(`control plane during the app phase: ${describeCounters(before, readCounters(await api.metrics()))}`);
  lastTree = await sampleTree(farm.child.pid!);
  if (failures.length > 0) process.exitCode = 1;
}

function printMemory(tree: readonly ProcessSample[], sites: number): void {
  const by = totals(tree);
  console.log(`memory with ${sites} static sites answering (MiB; PSS counts shared pages once):`);
  console.log('  part                                                            procs      RSS      PSS');
  let rss = 0;
  let pss = 0;
  for (const part of Object.keys(PART_LABELS) as Part[]) {
    const t = by[part];
    rss += t.rssKiB;
    pss += t.pssKiB;
    console.log(`  ${PART_LABELS[part].padEnd(62)} ${String(t.processes).padStart(6)} ${(t.rssKiB / MIB).toFixed(1).padStart(8)} ${(t.pssKiB / MIB).toFixed(1).padStart(8)}`);
  }
  console.log(`  ${'total'.padEnd(62)} ${String(tree.length).padStart(6)} ${(rss / MIB).toFixed(1).padStart(8)} ${(pss / MIB).toFixed(1).padStart(8)}`);
  console.log(`memory per static site: ${(pss / MIB / sites).toFixed(2)} MiB PSS in all, of which guests ${(by.guests.pssKiB / MIB / sites).toFixed(2)} MiB`);
}

async function printRouteLookup(atOne: number[], atN: number[], hosts: readonly string[]): Promise<void> {
  // like the farm's: one domain and one endpoint per site
  const routes = hosts.map((h, i): Route => ({
    site: `s${i}`, domains: [h], endpoints: [{ vs: `s${i}-0a1b2c`, address: '127.0.0.1', port: 20_000 + (i % 40_000), release: 'v1' }],
    updatedAt: new Date(0).toISOString(),
  }));
  const one = buildRouteTable(routes.slice(0, 1));
  const all = buildRouteTable(routes);
  const lookupNs = (table: ReturnType<typeof buildRouteTable>, list: readonly string[]) => best(() => {
    const rounds = 500_000;
    let hits = 0;
    const t0 = performance.now();
    for (let i = 0; i < rounds; i++) if (table.lookup(list[(i * 7919) % list.length])) hits++;
    if (hits !== rounds) throw new Error(`route table missed ${rounds - hits} lookups`);
    return ((performance.now() - t0) * 1e6) / rounds;
  });
  // what each route change costs every router worker: the whole table over IPC (JSON), then the router's setRoutes
  const message = JSON.stringify({ type: 'routes', routes });
  const router = buildRouter();
  const pushMs = best(() => {
    const t0 = performance.now();
    router.setRoutes((JSON.parse(JSON.stringify({ type: 'routes', routes })) as { routes: Route[] }).routes);
    return performance.now() - t0;
  });
  await router.destroy();
  console.log(`route table (buildRouteTable in this process, best of 3): lookup ${lookupNs(one, hosts.slice(0, 1)).toFixed(0)} ns at 1 route, ${lookupNs(all, hosts).toFixed(0)} ns at ${hosts.length}`);
  console.log(`route change at ${hosts.length} sites: the whole table goes to every worker, ${(Buffer.byteLength(message) / 1024).toFixed(0)} KiB of JSON; encode + decode + the router's setRoutes ${pushMs.toFixed(1)} ms (best of 3)`);
  console.log(`request through the router (one site, keep-alive, ${atOne.length} sequential GETs): p50 ${quantile(atOne, 0.5).toFixed(2)} ms / p99 ${quantile(atOne, 0.99).toFixed(2)} ms at 1 site; p50 ${quantile(atN, 0.5).toFixed(2)} ms / p99 ${quantile(atN, 0.99).toFixed(2)} ms at ${hosts.length} sites`);
}

/** The smallest of three runs (the first also warms the JIT up). */
function best(run: () => number): number {
  return Math.min(run(), run(), run());
}

async function idleCpu(api: FarmApi, farm: FarmProcess, when: string): Promise<void> {
  const seconds = 10;
  // the counters are read outside the window: a /metrics scrape of thousands of sites' series costs the farm a second or more
  const ca = readCounters(await api.metrics());
  const a = await sampleTree(farm.child.pid!);
  await new Promise((r) => setTimeout(r, seconds * 1000)); // a measuring window, not a wait for readiness
  const b = await sampleTree(farm.child.pid!);
  const cb = readCounters(await api.metrics());
  const pct = cpuPercent(a, b, seconds);
  console.log(`idle farm over ${seconds} s ${when}, % of one core: ${(Object.keys(PART_LABELS) as Part[]).map((p) => `${p} ${pct[p].toFixed(1)}`).join(', ')}`);
  console.log(`  control plane meanwhile: ${describeCounters(ca, cb)}`);
}

async function requestTimes(routerUrl: string, host: string, count = 300): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const r = await routerGet(routerUrl, host, keepAlive);
    if (r.status !== 200) throw new Error(`${host}: ${r.status} ${r.body.slice(0, 120)}`);
    times.push(r.ms);
  }
  return times.sort((a, b) => a - b);
}

async function shutDown(farm: FarmProcess, tree: readonly ProcessSample[]): Promise<void> {
  keepAlive.destroy();
  const known = [...tree, ...(await sampleTree(farm.child.pid!).catch(() => []))];
  // SIGTERM, not SIGINT: a Ctrl-C in the terminal has already sent the farm a SIGINT, and a second one would kill it at once
  if (farm.child.exitCode === null && farm.child.signalCode === null) farm.child.kill('SIGTERM');
  const exited = await waitFor(() => farm.child.exitCode !== null || farm.child.signalCode !== null, { timeoutMs: 60_000, intervalMs: 100 }).catch(() => false);
  if (!exited) {
    console.log('corral up did not stop within 60 s: killing it');
    farm.child.kill('SIGKILL');
  }
  // the guests' processes may take a moment to be reaped after corral up has exited
  const survivors = async () => stillRunning(known.filter((s) => s.pid !== farm.child.pid));
  const waitedFrom = performance.now();
  await waitFor(async () => (await survivors()).length === 0, { timeoutMs: 5000, intervalMs: 100 }).catch(() => undefined);
  const left = await survivors();
  if (left.length > 0) {
    console.log(`${left.length} processes of the farm still ran ${((performance.now() - waitedFrom) / 1000).toFixed(0)} s after corral up exited; killing them: ${left.slice(0, 5).map((s) => `${s.pid} ${s.command.slice(0, 100)}`).join('; ')}`);
    for (const s of left) process.kill(s.pid, 'SIGKILL');
    process.exitCode = 1;
  }
  if (process.env.KEEP_LOGS) {
    await cp(join(farm.dir, 'logs'), process.env.KEEP_LOGS, { recursive: true });
    console.log(`the farm's logs are copied to ${process.env.KEEP_LOGS}`);
  }
  await removeDir(farm.dir);
  console.log(`farm stopped (exit ${farm.child.exitCode ?? farm.child.signalCode}), ${farm.dir} removed`);
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let p: Promise<void> | undefined;
  return () => (p ??= fn());
}

function durationMs(v: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(v);
  if (!m) throw new Error(`not a duration: ${v} (e.g. 2s, 1500ms)`);
  return Math.round(Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 'm' ? 60_000 : 1000));
}

function unique<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)];
}
