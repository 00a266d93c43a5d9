// What the router allocates per proxied request, and where: the router in this process
// (buildRouter from src/, raw front and raw upstream, as a worker runs it) in front of two
// Node backends (bench/router-backend.mjs), wrk -t1 -c64, and V8's sampling heap profiler
// over the measured window with the objects young collections reclaimed kept in (the
// garbage of a request is what matters here, not what survives). Printed: sampled bytes
// per request in all, then by allocating function. Inlining is off so that each function's
// bytes are its own rather than its caller's. Unlike CPU time, the figure does not move
// with the machine's load, which makes it the one to compare steps by on a busy machine
// (bench/router-profile.ts gives the CPU side).
//
//   node --max-semi-space-size=1 --import tsx bench/router-alloc.ts     (env SECONDS=3 CONNS=64 TOP=30)
// (the young generation capped as a router worker's is, cluster.ts WORKER_SEMI_SPACE_MB: a
// flag V8 takes only at start)
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { waitFor } from '../src/lib/wait.ts';
import { freePorts } from '../src/lib/free-ports.ts';

process.env.CORRAL_LOG_LEVEL ??= 'warn';
setFlagsFromString('--no-turbo-inlining');
const { buildRouter } = await import('../src/router/index.ts');

const SECONDS = Number(process.env.SECONDS ?? 3);
const CONNS = Number(process.env.CONNS ?? 64);
const TOP = Number(process.env.TOP ?? 30);
const root = new URL('..', import.meta.url).pathname;
const children: ChildProcess[] = [];
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

const backends = await freePorts(2);
for (const b of backends) children.push(spawn('node', [join(root, 'bench/router-backend.mjs'), String(b)], { stdio: 'ignore' }));
const router = buildRouter();
router.setRoutes([
  {
    site: 'bench',
    domains: ['bench.test', '127.0.0.1'],
    endpoints: backends.map((port, i) => ({ vs: `b${i}`, address: '127.0.0.1', port, release: 'r1' })),
    updatedAt: new Date(0).toISOString(),
  },
]);
await new Promise<void>((resolve) => router.server.listen(0, '127.0.0.1', resolve));
const port = (router.server.address() as { port: number }).port;
await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/`, { headers: { host: 'bench.test' } }).then((r) => r.status === 200, () => false)) || undefined, {
  timeoutMs: 30_000,
  what: 'the router answering',
});

const run = promisify(execFile);
async function wrk(seconds: number): Promise<number> {
  const { stdout } = await run('wrk', ['-t1', `-c${CONNS}`, `-d${seconds}s`, '-H', 'Host: bench.test', `http://127.0.0.1:${port}/`]);
  return Number(/(\d+) requests in/.exec(stdout)?.[1] ?? NaN);
}
await wrk(2); // warm-up: JIT, upstream connections

const session = new Session();
session.connect();
await session.post('HeapProfiler.startSampling', { samplingInterval: 128, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true } as never);
const requests = await wrk(SECONDS);
const { profile } = (await session.post('HeapProfiler.stopSampling')) as unknown as { profile: { head: SampleNode } };

interface SampleNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: SampleNode[];
}
const byFunction = new Map<string, number>();
let total = 0;
(function walk(node: SampleNode, caller: string): void {
  const f = node.callFrame;
  const i = f.url.indexOf('/src/');
  const where = i !== -1 ? f.url.slice(i + 1) : f.url.startsWith('node:') ? `${f.url}:${f.lineNumber + 1}` : f.url === '' ? '' : 'node_modules';
  const name = `${f.functionName || '(anonymous)'} ${where}`.trim();
  total += node.selfSize;
  // a native allocation (no url) is named with its caller
  const key = f.url === '' ? `${name} ← ${caller}` : name;
  if (node.selfSize > 0) byFunction.set(key, (byFunction.get(key) ?? 0) + node.selfSize);
  for (const c of node.children) walk(c, name);
})(profile.head, '(root)');

console.log(`wrk -t1 -c${CONNS} ${SECONDS}s, in-process router, ${requests} requests: ${(total / requests).toFixed(0)} B allocated per request (sampled)`);
const own = [...byFunction].filter(([k]) => k.includes('src/')).reduce((a, [, v]) => a + v, 0);
console.log(`  of which in Corral's functions (src/**): ${(own / requests).toFixed(0)} B`);
for (const [name, bytes] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, TOP)) console.log(`${(bytes / requests).toFixed(0).padStart(7)} B  ${name}`);
await router.destroy();
process.exit(0);

