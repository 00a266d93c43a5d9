// Engine failover at default settings, every role a real process: a 3-member etcd, two
// controllers and a router in the root namespace, three engines each on its own "host"
// (a network namespace; namespace guests where the machine allows them). A static site
// with 2 replicas on two hosts; 4 concurrent GETs in a loop through the router. Each
// round takes the host of one replica away and times it → 2 ready replicas again (off
// that host), counts failed requests and the slowest one, then brings the host back:
//
//   crashed: kill -9 every process on the host (agent and guests): connections reset.
//   silent:  the host's link goes down: packets dropped, no resets, the host's processes
//            live on and come back when the link does.
//
// Then the router is restarted and timed from spawn to its first 200 for the site.
// Run: node --import tsx bench/failover.ts   (env ROUNDS=5, MODES=crashed,silent; root)

import { mkdtempSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../src/lib/wait.ts';
import { replacedOff, siteReplicas, uploadStaticExample } from '../test/helpers/cluster-api.ts';
import { startHostsFarm } from '../test/helpers/hosts-farm.ts';
import { get } from '../test/helpers/http.ts';
import { startRole } from '../test/helpers/role-process.ts';

const ROUNDS = Number(process.env.ROUNDS ?? 5);
// MODES= (empty) measures only the router start
const MODES = (process.env.MODES ?? 'crashed,silent').split(',').filter(Boolean) as Array<'crashed' | 'silent'>;
const HOST = 'www.bench.test';

interface Row { mode: string; ms: number; total: number; failed: number; slowest: number; failures: string[] }

const root = mkdtempSync(join(tmpdir(), 'corral-failover-'));
const farm = await startHostsFarm(root);
try {
  const { admin, routerUrl } = farm;
  const c1 = farm.controllers.get('c1')!.url;
  await admin.call('POST', '/v1/customers', { name: 'bench' });
  await admin.call('POST', '/v1/sites', { name: 'www', customer: 'bench', domains: [HOST], kind: 'static', replicas: 2, pooled: false }); // VSs of its own, as measured before pools were the default
  await uploadStaticExample(c1, farm.token, 'www');
  await waitFor(async () => (await siteReplicas(admin, 'www')).ready === 2 && (await get(routerUrl, HOST)).status === 200, { what: 'the site', timeoutMs: 60_000 });
  const runtime = /\b(namespace|process)\b/.exec((await farm.cli(['engine', 'list'])).stdout)?.[1];
  console.log(`# 3 engines (runtime ${runtime}), load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);

  const rows: Row[] = [];
  for (const mode of MODES) {
    for (let round = 0; round < ROUNDS; round++) {
      const loop = timedLoop(routerUrl, 4);
      await waitFor(() => loop.count() > 100, { what: 'traffic' });
      const victim = (await siteReplicas(admin, 'www')).readyOn[0]!;
      const t0 = Date.now();
      if (mode === 'crashed') farm.crash(victim);
      else farm.silence(victim);
      await replacedOff(admin, 'www', victim, 2, { timeoutMs: 60_000, intervalMs: 10 });
      const ms = Date.now() - t0;
      const served = loop.count();
      await waitFor(() => loop.count() > served + 200, { what: 'traffic after the failover' });
      const r = await loop.stop();
      rows.push({ mode, ms, ...r });
      console.log(`${mode} round ${round + 1}: ${victim} lost → 2/2 ready in ${ms} ms; ${r.total} requests, ${r.failed} failed, slowest ${r.slowest} ms${r.failures.length ? ` (${r.failures.slice(0, 3).join('; ')})` : ''}`);
      // the host comes back, empty
      if (mode === 'crashed') await farm.startEngine(victim);
      else {
        farm.unsilence(victim);
        await waitFor(async () => (await farm.store.get(`/corral/engines/${victim}`)) !== undefined, { what: `${victim} registered again`, timeoutMs: 30_000 });
      }
      await waitFor(async () => (await siteReplicas(admin, 'www')).all.length === 2, { what: 'surplus replicas gone', timeoutMs: 30_000 });
    }
  }
  for (const mode of MODES) {
    const mine = rows.filter((r) => r.mode === mode);
    const ms = mine.map((r) => r.ms).sort((a, b) => a - b);
    console.log(`${mode}: median ${ms[Math.floor(ms.length / 2)]} ms to full capacity (min ${ms[0]}, max ${ms.at(-1)}); failed ${mine.reduce((n, r) => n + r.failed, 0)} of ${mine.reduce((n, r) => n + r.total, 0)}; slowest request ${Math.max(...mine.map((r) => r.slowest))} ms`);
  }

  // A router restarted: spawn → listening → first 200 for the site.
  const starts: number[] = [];
  const listening: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const jt = (await admin.call<{ token: string }>('POST', '/v1/join-tokens', { name: `bench-router-${i}` })).json.token;
    const t0 = Date.now();
    const router = startRole(['--dir', join(root, `rb${i}`), 'router', '--join', farm.urls().join(','), '--token', jt, '--http-port', '0', '--api-port', '0', '--host', '127.0.0.1', '--id', `rb${i}`]);
    const url = (await router.until(/up at (http:\/\/\S+)/))[1]!;
    listening.push(Date.now() - t0);
    await waitFor(async () => (await get(url, HOST)).status === 200, { what: 'the first 200', intervalMs: 5 });
    starts.push(Date.now() - t0);
    await router.kill('SIGTERM');
  }
  starts.sort((a, b) => a - b);
  listening.sort((a, b) => a - b);
  console.log(`router start → "up at" (listening with its first full table): median ${listening[Math.floor(listening.length / 2)]} ms (min ${listening[0]}, max ${listening.at(-1)})`);
  console.log(`router start → first 200: median ${starts[Math.floor(starts.length / 2)]} ms (min ${starts[0]}, max ${starts.at(-1)}); load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
} finally {
  await farm.close();
}
process.exit(0);

/** `concurrency` GET loops through the router, each request timed. */
function timedLoop(baseUrl: string, concurrency: number) {
  let total = 0;
  let slowest = 0;
  let running = true;
  const failures: string[] = [];
  const loops = Promise.all(Array.from({ length: concurrency }, async () => {
    while (running) {
      const t = performance.now();
      const what = await get(baseUrl, HOST).then((r) => (r.status === 200 ? undefined : `${r.status} ${r.body.slice(0, 80)}`), (err: Error) => err.message);
      slowest = Math.max(slowest, performance.now() - t);
      total++;
      if (what) failures.push(what);
    }
  }));
  return {
    count: () => total,
    async stop() {
      running = false;
      await loops;
      return { total, failed: failures.length, slowest: Math.round(slowest), failures };
    },
  };
}
