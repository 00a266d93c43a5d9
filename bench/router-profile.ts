// Where one router worker's CPU goes: the router as bench/router.sh runs it
// (bench/router-server.mjs, one worker, src/ through tsx; TARGET=dist: the shipped worker
// bundle of `npm run build`, its functions placed by its source map) in front of two Node backends
// (bench/router-backend.mjs), the worker run with node's --cpu-prof, wrk -t1 -c64 on it
// for a warm-up and then for the measured window. Printed: the worker's CPU µs per request
// over the window (user + system from /proc/<pid>/stat, divided by wrk's request count: a
// figure that holds up on a busy machine), its young-generation collections (node's
// --trace-gc; the worker's semi-space is capped at 1 MiB, so scavenges × 1 MiB / requests
// ≈ bytes allocated per request, a figure load does not move), then the profile's samples
// taken inside the window, self time grouped into Corral's code (src/router/**, then the rest of src/),
// Node's JavaScript internals (node:*), and native/V8 (GC, "(program)": V8 and libuv work
// outside JavaScript, and the C++ bindings such as writev or the HTTP parser), with the
// top functions by self time. "(idle)" is time the event loop waited: left out of the shares.
//
//   node --import tsx bench/router-profile.ts     (env TARGET=src|dist SECONDS=10 CONNS=64 TOP=25 INTERVAL_US=200
//                                                   PROFILE_DIR=<keep the .cpuprofile there>
//                                                   ROUTER_ROOT=<another checkout's router, for an A/B run>
//                                                   NODE_FLAGS=<more node flags for the router, e.g. V8's>)
//
// PERF=1 also samples the worker with `perf record -e cpu-clock` over the window (node's
// --perf-basic-prof names the JIT's code): the CPU by binary — the kernel, node's own
// binary (V8's runtime, builtins and GC, node's C++, llhttp, libuv), JIT-compiled
// JavaScript (the router's bundle or node's internals), libc — and the top symbols. Unlike
// --cpu-prof it counts CPU only (not time the worker was runnable but preempted, which
// --cpu-prof books to the syscall that woke a backend), and sees into the native frames.
//
// The profile's sample timestamps and this process's hrtime are the same clock
// (CLOCK_MONOTONIC), which is how the window is cut out of the whole run.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readdirSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { SourceMap } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../src/lib/wait.ts';
import { freePorts } from '../src/lib/free-ports.ts';

const SECONDS = Number(process.env.SECONDS ?? 10);
const CONNS = Number(process.env.CONNS ?? 64);
const TOP = Number(process.env.TOP ?? 25);
const INTERVAL_US = Number(process.env.INTERVAL_US ?? 200); // the sampling interval (node's default is 1000)
const work = process.env.PROFILE_DIR ?? mkdtempSync(join(tmpdir(), 'corral-router-profile-'));
const GROUPS = ['(a) Corral: src/router/**', '(a) Corral: other src/**', '(b) Node JS internals (node:*)', '(c) native / V8 (GC, program, bindings)', 'other JS (node_modules, tsx)'];
const GROUP_TAG: Record<string, string> = Object.fromEntries(GROUPS.map((g) => [g, g.slice(0, 3)]));
const root = new URL('..', import.meta.url).pathname;
const routerRoot = process.env.ROUTER_ROOT ?? root;
const sourceMaps = new Map<string, SourceMap>();
const dist = process.env.TARGET === 'dist';
const perf = process.env.PERF === '1';
const children: ChildProcess[] = [];
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
  if (process.env.PROFILE_DIR === undefined) rmSync(work, { recursive: true, force: true });
});

const [b1, b2, port] = await freePorts(3);
for (const b of [b1, b2]) start('node', [join(root, 'bench/router-backend.mjs'), String(b)]);
const primary = start('node', ['--trace-gc', '--cpu-prof', `--cpu-prof-dir=${work}`, `--cpu-prof-interval=${INTERVAL_US}`, ...(perf ? ['--perf-basic-prof'] : []), ...(process.env.NODE_FLAGS ?? '').split(' ').filter(Boolean), ...(dist ? [] : ['--import', 'tsx']), join(routerRoot, 'bench/router-server.mjs'), String(port), '1', String(b1), String(b2)], {
  CORRAL_ROUTER_SOURCE: dist ? '0' : '1',
  CORRAL_LOG_LEVEL: 'warn',
}, openSync(join(work, 'gc.log'), 'a'));
const worker = await waitFor(() => workerOf(primary.pid!), { timeoutMs: 30_000, what: 'the router worker' });
await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/`, { headers: { host: 'bench.test' } }).then((r) => r.status === 200, () => false)) || undefined, {
  timeoutMs: 30_000,
  what: 'the router answering',
});
wrk(2); // warm-up: JIT, upstream pools

const gcLog = join(work, 'gc.log');
const before = cpuTicks(worker);
const scavengesBefore = scavenges(worker);
const perfData = join(work, 'perf.data');
const recording = perf ? spawn('perf', ['record', '-q', '-e', 'cpu-clock', '-F', '999', '-p', String(worker), '-o', perfData], { stdio: 'ignore' }) : undefined;
const t0 = process.hrtime.bigint() / 1000n;
const requests = wrk(SECONDS);
const t1 = process.hrtime.bigint() / 1000n;
const ticks = cpuTicks(worker);
const scavenged = scavenges(worker) - scavengesBefore;
const hz = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));
const userUs = ((ticks.user - before.user) * 1e6) / hz / requests.count;
const sysUs = ((ticks.sys - before.sys) * 1e6) / hz / requests.count;

if (recording) {
  const done = new Promise((resolve) => recording.once('exit', resolve));
  recording.kill('SIGINT');
  await done;
}
primary.kill('SIGTERM'); // the cluster drains; the worker exits and writes its profile
const file = await waitFor(() => readdirSync(work).find((f) => f.endsWith(`.${worker}.0.001.cpuprofile`) || new RegExp(`\\.${worker}\\.0\\.\\d+\\.cpuprofile$`).test(f)), {
  timeoutMs: 30_000,
  what: "the worker's profile",
});
await waitFor(() => isJson(join(work, file)) || undefined, { timeoutMs: 10_000, what: 'the profile written in full' });
const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

console.log(`wrk -t1 -c${CONNS} ${SECONDS}s on one router worker (${dist ? join(routerRoot, 'dist') + ', the bundle' : join(routerRoot, 'src') + ' via tsx'}), ${new Date().toISOString()}, load average ${load}`);
console.log(`${requests.count} requests, ${Math.round(requests.count / SECONDS)} req/s; worker CPU ${(userUs + sysUs).toFixed(1)} µs/request (user ${userUs.toFixed(1)}, system ${sysUs.toFixed(1)})`);
console.log(`${scavenged} scavenges: ${((scavenged * 1024) / requests.count).toFixed(2)} KiB allocated per request (≈ scavenges × 1 MiB semi-space / requests)`);
summarise(JSON.parse(readFileSync(join(work, file), 'utf8')) as Profile, Number(t0), Number(t1));
if (perf) perfSummary();
if (process.env.PROFILE_DIR !== undefined) console.log(`profile: ${join(work, file)}`);
process.exit(0);

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Self time of the samples in [from, to] (µs, the profile's clock), by group and by function. */
function summarise(profile: Profile, from: number, to: number): void {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i]!;
    const next = i + 1 < profile.timeDeltas.length ? profile.timeDeltas[i + 1]! : 0;
    if (t < from || t > to) continue;
    self.set(profile.samples[i]!, (self.get(profile.samples[i]!) ?? 0) + next);
  }
  const groups = new Map<string, number>();
  const fns = new Map<string, { group: string; us: number }>();
  let idle = 0;
  for (const [id, us] of self) {
    const f = placed(byId.get(id)!.callFrame);
    const group = groupOf(f);
    if (group === 'idle') {
      idle += us;
      continue;
    }
    groups.set(group, (groups.get(group) ?? 0) + us);
    const name = `${f.functionName || '(anonymous)'} ${shortUrl(f)}`.trim();
    const had = fns.get(name);
    if (had) had.us += us;
    else fns.set(name, { group, us });
  }
  const busy = [...groups.values()].reduce((a, b) => a + b, 0);
  const pct = (us: number): string => `${((100 * us) / busy).toFixed(1).padStart(5)} %`;
  const perReq = (us: number): string => `${(us / requests.count).toFixed(2).padStart(6)} µs/req`;
  console.log(`\nself time in the window: busy ${(busy / 1e6).toFixed(2)} s, idle ${(idle / 1e6).toFixed(2)} s (profiler's clock; µs/req below are its busy time / requests)`);
  for (const g of GROUPS) console.log(`  ${g.padEnd(44)} ${pct(groups.get(g) ?? 0)}  ${perReq(groups.get(g) ?? 0)}`);
  console.log(`\ntop ${TOP} functions by self time`);
  const top = [...fns].sort((a, b) => b[1].us - a[1].us).slice(0, TOP);
  for (const [name, { group, us }] of top) console.log(`  ${pct(us)}  ${perReq(us)}  ${GROUP_TAG[group]}  ${name}`);
  console.log(`\ntop ${TOP} of Corral's own functions (src/**)`);
  const own = [...fns].filter(([, f]) => f.group.startsWith('(a)')).sort((a, b) => b[1].us - a[1].us).slice(0, TOP);
  for (const [name, { us }] of own) console.log(`  ${pct(us)}  ${perReq(us)}  ${name}`);
}

/** perf's view of the window: CPU by binary, then the top symbols. */
function perfSummary(): void {
  const report = (sort: string): string[] =>
    execFileSync('perf', ['report', '-i', perfData, '--stdio', '--no-children', '-g', 'none', '--sort', sort], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.startsWith('#'));
  console.log('\nperf, CPU by binary (cpu-clock; [JIT] is JavaScript)');
  for (const l of report('dso').slice(0, 6)) console.log(`  ${l.trim()}`);
  const js = report('sym').filter((l) => l.includes('JS:'));
  const share = (re: RegExp): string => `${js.filter((l) => re.test(l)).reduce((a, l) => a + parseFloat(l), 0).toFixed(1)} %`;
  console.log(`  of the JavaScript: the router's own ${share(/\.bundle\.js|\/src\//)}, node's internals ${share(/ node:/)}`);
  console.log(`\nperf, top ${TOP} symbols (in a VM without a PMU, time with interrupts off is booked where they come back on: finish_task_switch, _raw_spin_unlock_irqrestore)`);
  for (const l of report('dso,sym').slice(0, TOP)) console.log(`  ${l.trim().replace(/file:\/\/\S*\/(dist|src)\//, '$1/')}`);
  rmSync(`/tmp/perf-${worker}.map`, { force: true });
}

/** A function of a bundle (TARGET=dist) at its place in the sources, by the bundle's source map. */
function placed(f: ProfileNode['callFrame']): ProfileNode['callFrame'] {
  if (!f.url.endsWith('.bundle.js')) return f;
  const map = sourceMaps.get(f.url) ?? new SourceMap(JSON.parse(readFileSync(`${fileURLToPath(f.url)}.map`, 'utf8')) as ConstructorParameters<typeof SourceMap>[0]);
  sourceMaps.set(f.url, map);
  const at = map.findEntry(f.lineNumber, (f as { columnNumber?: number }).columnNumber ?? 0) as { originalSource?: string; originalLine?: number };
  return at.originalSource === undefined ? f : { ...f, url: at.originalSource.replace(/^(\.\.\/)+/, '/'), lineNumber: at.originalLine ?? 0 };
}
function groupOf(f: ProfileNode['callFrame']): string {
  if (f.functionName === '(idle)') return 'idle';
  if (f.url.includes('/src/router/')) return GROUPS[0]!;
  if (f.url.includes('/node_modules/')) return GROUPS[4]!;
  if (f.url.includes('/src/')) return GROUPS[1]!;
  if (f.url.startsWith('node:')) return GROUPS[2]!;
  if (f.url === '') return GROUPS[3]!; // (program), (garbage collector), C++ bindings
  return GROUPS[4]!;
}

/** Where a function is: src/… (through tsx with no line: it compiles each file to one line), node:…:line, or nothing (native). */
function shortUrl(f: ProfileNode['callFrame']): string {
  if (f.url === '') return '';
  const i = f.url.indexOf('/src/');
  if (i !== -1) return dist ? `${f.url.slice(i + 1)}:${f.lineNumber + 1}` : f.url.slice(i + 1);
  return `${f.url.replace(/^file:\/\/.*\/node_modules\//, '')}:${f.lineNumber + 1}`;
}

function wrk(seconds: number): { count: number } {
  const out = execFileSync('wrk', ['-t1', `-c${CONNS}`, `-d${seconds}s`, '-H', 'Host: bench.test', `http://127.0.0.1:${port}/`], { encoding: 'utf8' });
  const m = /(\d+) requests in/.exec(out);
  if (!m) throw new Error(`wrk printed no request count:\n${out}`);
  if (/Non-2xx|Socket errors/.test(out)) console.error(out);
  return { count: Number(m[1]) };
}

function start(cmd: string, args: string[], env: Record<string, string> = {}, stdout: 'ignore' | number = 'ignore'): ChildProcess {
  const c = spawn(cmd, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', stdout, 'inherit'] });
  children.push(c);
  return c;
}

/** The primary's child that is a router worker (CORRAL_ROUTER_WORKER in its environment). */
function workerOf(pid: number): number | undefined {
  const path = `/proc/${pid}/task/${pid}/children`;
  if (!existsSync(path)) return undefined;
  for (const c of readFileSync(path, 'utf8').trim().split(/\s+/).filter(Boolean)) {
    if (readFileSync(`/proc/${c}/environ`, 'utf8').includes('CORRAL_ROUTER_WORKER=1')) return Number(c);
  }
  return undefined;
}

/** The worker's scavenges so far (--trace-gc lines on the primary's stdout, prefixed [pid:isolate]). */
function scavenges(pid: number): number {
  const prefix = `[${pid}:`;
  return readFileSync(gcLog, 'utf8').split('\n').filter((l) => l.startsWith(prefix) && l.includes('Scavenge')).length;
}

function cpuTicks(pid: number): { user: number; sys: number } {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return { user: Number(fields[11]), sys: Number(fields[12]) };
}

function isJson(path: string): boolean {
  try {
    JSON.parse(readFileSync(path, 'utf8'));
    return true;
  } catch {
    return false;
  }
}

