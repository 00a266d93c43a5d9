// Issue 3 bench: cold start of a VS to its first 200 through the router (process vs
// namespace runtime), idle memory per guest (static site, example app), and static
// guests per engine at 24 GiB from a measured slope. Run as root:
//   node --import tsx bench/namespace-runtime.ts [rounds=8]
// Memory of a guest = the sum of its processes' PSS (/proc/<pid>/smaps_rollup), the same
// measure for both runtimes; the namespace runtime's cgroup charge is printed beside it.

import { cp, mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { silentLogger } from '../src/lib/log.ts';
import { createNamespaceRuntime, createProcessRuntime, type Runtime, type VsSpec } from '../src/engine/index.ts';
import { buildRouter } from '../src/router/index.ts';
import { routerGet } from '../test/helpers/http.ts';
import { median } from './density/samples.ts';

const REPO = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
const rounds = Number(process.argv[2] ?? 8);
const base = await mkdtemp(path.join(tmpdir(), 'corral-bench-ns-'));
const router = buildRouter({ log: silentLogger });
await new Promise<void>((r) => router.server.listen(0, '127.0.0.1', r));
const routerUrl = `http://127.0.0.1:${(router.server.address() as AddressInfo).port}`;

await mkdir(path.join(base, 'static'), { recursive: true });
await writeFile(path.join(base, 'static', 'index.html'), '<h1>bench</h1>');
await cp(path.join(REPO, 'examples', 'node-app'), path.join(base, 'app'), { recursive: true });

function spec(name: string, kind: 'static' | 'app'): VsSpec {
  return {
    name, site: name, customer: `cust-${name}`, kind, releaseDir: path.join(base, kind), dataDir: path.join(base, 'data', name),
    logFile: path.join(base, 'logs', `${name}.log`), ...(kind === 'app' ? { command: 'node server.js' } : {}),
    domains: [`${name}.bench`], healthPath: kind === 'app' ? '/health' : '/.corral/health', env: {},
  };
}

/** The status of GET / for this Host through the router (0: no answer). */
const get = async (host: string): Promise<number> => (await routerGet(routerUrl, host, false)).status;

/** start → route published → first 200 through the router, in ms. */
async function coldStart(rt: Runtime, name: string, kind: 'static' | 'app'): Promise<number> {
  const t0 = performance.now();
  const vs = await rt.start(spec(name, kind));
  router.setRoutes([{ site: name, domains: [`${name}.bench`], endpoints: [{ vs: name, address: vs.address, port: vs.port, release: 'r1' }], updatedAt: '' }]);
  while ((await get(`${name}.bench`)) !== 200) await new Promise((r) => setTimeout(r, 5));
  return performance.now() - t0;
}

async function pss(pids: number[]): Promise<number> {
  let kb = 0;
  for (const p of pids) {
    const text = await readFile(`/proc/${p}/smaps_rollup`, 'utf8').catch(() => '');
    kb += Number(/^Pss:\s+(\d+)/m.exec(text)?.[1] ?? 0);
  }
  return kb * 1024;
}

/** Every descendant of pid (the VS's whole tree), pid included. */
async function tree(pid: number): Promise<number[]> {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    const tasks = await readFile(`/proc/${out[i]}/task/${out[i]}/children`, 'utf8').catch(() => '');
    for (const c of tasks.trim().split(' ')) if (c) out.push(Number(c));
  }
  return out;
}

const mib = (b: number) => (b / 2 ** 20).toFixed(1);

const runtimes: Record<string, Runtime> = {
  process: createProcessRuntime({ runDir: path.join(base, 'run-p'), log: silentLogger }),
  namespace: createNamespaceRuntime({ runDir: path.join(base, 'run-n'), log: silentLogger, bridge: 'cbench0', subnet: '10.216.0.0/24', removeBridge: true }),
};
await runtimes.namespace!.reapOrphans();

try {
  console.log(`## cold start to first 200 through the router (median of ${rounds}, ms)`);
  for (const kind of ['app', 'static'] as const) {
    for (const [rtName, rt] of Object.entries(runtimes)) {
      const times: number[] = [];
      for (let i = 0; i < rounds; i++) {
        const name = `cold-${kind}-${i}`;
        times.push(await coldStart(rt, name, kind));
        await rt.stop(name, 2_000);
      }
      console.log(`${kind.padEnd(6)} ${rtName.padEnd(9)} median ${median(times).toFixed(0)} ms  min ${Math.min(...times).toFixed(0)}  max ${Math.max(...times).toFixed(0)}`);
    }
  }

  console.log('\n## idle memory per guest (PSS of its processes, MiB; 3 guests each, after 2 s idle)');
  for (const kind of ['static', 'app'] as const) {
    for (const [rtName, rt] of Object.entries(runtimes)) {
      const names = [0, 1, 2].map((i) => `idle-${kind}-${rtName.slice(0, 2)}-${i}`);
      const vss = [];
      for (const n of names) {
        const vs = await rt.start(spec(n, kind));
        vss.push(vs);
        router.setRoutes([{ site: n, domains: [`${n}.bench`], endpoints: [{ vs: n, address: vs.address, port: vs.port, release: 'r1' }], updatedAt: '' }]);
        while ((await get(`${n}.bench`)) !== 200) await new Promise((r) => setTimeout(r, 5));
      }
      await new Promise((r) => setTimeout(r, 2_000));
      const each = await Promise.all(vss.map(async (v) => pss(await tree(v.pid))));
      const charge = rt.inspect ? await Promise.all(names.map(async (n) => (await rt.inspect!(n))?.usage?.memoryBytes ?? 0)) : [];
      console.log(`${kind.padEnd(6)} ${rtName.padEnd(9)} PSS ${mib(median(each))} MiB${charge.length ? `  (cgroup charge incl. page cache ${mib(median(charge))} MiB)` : ''}`);
      for (const n of names) await rt.stop(n, 2_000);
    }
  }

  console.log('\n## static guests per engine (namespace): total PSS at n guests, slope, 24 GiB extrapolation');
  const rt = runtimes.namespace!;
  const points: [number, number][] = [];
  const running: { name: string; pid: number }[] = [];
  for (const n of [4, 12]) {
    while (running.length < n) {
      const name = `many-${running.length}`;
      const vs = await rt.start(spec(name, 'static'));
      router.setRoutes([{ site: name, domains: [`${name}.bench`], endpoints: [{ vs: name, address: vs.address, port: vs.port, release: 'r1' }], updatedAt: '' }]);
      while ((await get(`${name}.bench`)) !== 200) await new Promise((r) => setTimeout(r, 5));
      running.push({ name, pid: vs.pid });
    }
    await new Promise((r) => setTimeout(r, 2_000));
    let total = 0;
    for (const r of running) total += await pss(await tree(r.pid));
    points.push([n, total]);
    console.log(`n=${n}: total PSS ${mib(total)} MiB`);
  }
  const [[n1, m1], [n2, m2]] = points as [[number, number], [number, number]];
  const slope = (m2 - m1) / (n2 - n1);
  const intercept = m1 - slope * n1;
  console.log(`slope ${mib(slope)} MiB per static guest, intercept ${mib(intercept)} MiB → ${Math.floor((24 * 2 ** 30 - intercept) / slope)} static guests in 24 GiB`);
  for (const r of running) await rt.stop(r.name, 2_000);
} finally {
  for (const rt of Object.values(runtimes)) await rt.destroy();
  await router.close();
  await rm(base, { recursive: true, force: true });
}
