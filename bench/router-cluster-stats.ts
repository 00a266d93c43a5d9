// What the router workers' reporting costs (per-site samples and metric values sent to
// the primary every second, src/router/cluster-stats.ts): the same 2-worker router
// cluster and backend, driven by an undici client, with router.metrics off and on, in
// alternating rounds (baseline measured in the same run).
//
//   node --import tsx bench/router-cluster-stats.ts   (env BENCH_SECONDS per round, default 3; BENCH_ROUNDS, default 3)
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { startRouterCluster } from '../src/router/index.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = 32;

const backend = createServer((_req, res) => res.end('hello from the backend'));
await new Promise<void>((ok) => backend.listen(0, '127.0.0.1', ok));
const backendPort = (backend.address() as AddressInfo).port;

async function round(metrics: boolean): Promise<number> {
  const route = { site: 'www', domains: ['www.bench.test'], endpoints: [{ vs: 'b', address: '127.0.0.1', port: backendPort, release: 'r1' }], updatedAt: '' };
  const rc = await startRouterCluster({ workers: 2, listen: { port: 0, host: '127.0.0.1' }, router: { metrics }, routes: [route] });
  const pool = new Pool(`http://127.0.0.1:${rc.port}`, { connections: CONNECTIONS });
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
  await rc.close(2_000);
  return done / SECONDS;
}

const off: number[] = [];
const on: number[] = [];
for (let i = 0; i < ROUNDS; i++) {
  off.push(await round(false));
  on.push(await round(true));
}
backend.close();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`rounds: ${ROUNDS} × ${SECONDS} s each, 2 workers, ${CONNECTIONS} connections`);
console.log(`workers, metrics off:    ${off.map((x) => x.toFixed(0)).join(', ')} req/s (median ${median(off).toFixed(0)})`);
console.log(`workers, metrics on:     ${on.map((x) => x.toFixed(0)).join(', ')} req/s (median ${median(on).toFixed(0)})`);
console.log(`ratio (on / off):        ${(median(on) / median(off)).toFixed(3)}`);
