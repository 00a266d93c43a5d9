// What the console's per-site request figures cost the router: the same in-process
// router and backend, driven by an undici client, with and without trackSiteStats
// attached, in alternating rounds (baseline measured in the same run).
//
//   node --import tsx bench/site-stats.ts      (env BENCH_SECONDS per round, default 3; BENCH_ROUNDS, default 3)
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { silentLogger } from '../src/lib/log.ts';
import { buildRouter, trackSiteStats } from '../src/router/index.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = 32;

const backend = createServer((_req, res) => res.end('hello from the backend'));
await new Promise<void>((ok) => backend.listen(0, '127.0.0.1', ok));
const backendPort = (backend.address() as AddressInfo).port;

async function round(withStats: boolean): Promise<number> {
  const router = buildRouter({ log: silentLogger });
  const route = { site: 'www', domains: ['www.bench.test'], endpoints: [{ vs: 'b', address: '127.0.0.1', port: backendPort, release: 'r1' }], updatedAt: '' };
  router.setRoutes([route]);
  const stats = withStats ? trackSiteStats(router.server) : undefined;
  stats?.setRoutes([route]);
  await new Promise<void>((ok) => router.server.listen(0, '127.0.0.1', ok));
  const pool = new Pool(`http://127.0.0.1:${(router.server.address() as AddressInfo).port}`, { connections: CONNECTIONS });
  let done = 0;
  const until = Date.now() + SECONDS * 1000;
  await Promise.all(Array.from({ length: CONNECTIONS }, async () => {
    while (Date.now() < until) {
      const res = await pool.request({ path: '/', method: 'GET', headers: { host: 'www.bench.test' } });
      await res.body.text();
      if (res.statusCode === 200) done++;
    }
  }));
  await pool.close();
  stats?.close();
  await router.close();
  return done / SECONDS;
}

const base: number[] = [];
const withStats: number[] = [];
for (let i = 0; i < ROUNDS; i++) {
  base.push(await round(false));
  withStats.push(await round(true));
}
backend.close();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`rounds: ${ROUNDS} × ${SECONDS} s each, ${CONNECTIONS} connections`);
console.log(`router alone:            ${base.map((x) => x.toFixed(0)).join(', ')} req/s (median ${median(base).toFixed(0)})`);
console.log(`router + site stats:     ${withStats.map((x) => x.toFixed(0)).join(', ')} req/s (median ${median(withStats).toFixed(0)})`);
console.log(`ratio (stats / alone):   ${(median(withStats) / median(base)).toFixed(3)}`);
