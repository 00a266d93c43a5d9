// Shared by the in-process A/B benchmarks (site-stats.ts, router-cluster-stats.ts): one
// backend, the route to it, an undici load loop, and alternating rounds of the two set-ups
// (the baseline is measured in the same run), reported as req/s per round and their medians.

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import type { Route } from '../src/model/index.ts';
import { median } from './density/samples.ts';

export const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
export const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
export const CONNECTIONS = 32;

/** A backend answering every request with the same short text; its route is www.bench.test. */
export async function startBenchBackend(): Promise<{ route: Route; close(): void }> {
  const backend = createServer((_req, res) => res.end('hello from the backend'));
  await new Promise<void>((ok) => backend.listen(0, '127.0.0.1', ok));
  const port = (backend.address() as AddressInfo).port;
  const route = { site: 'www', domains: ['www.bench.test'], endpoints: [{ vs: 'b', address: '127.0.0.1', port, release: 'r1' }], updatedAt: '' };
  return { route, close: () => backend.close() };
}

/** GETs through the router at port from CONNECTIONS connections for SECONDS: 200s per second. */
export async function driveLoad(port: number): Promise<number> {
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: CONNECTIONS });
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
  return done / SECONDS;
}

/** ROUNDS alternating rounds of round(false) and round(true); prints both series, their medians and the ratio. */
export async function abRounds(round: (on: boolean) => Promise<number>, labels: { setup: string; off: string; on: string; ratio: string }): Promise<void> {
  const off: number[] = [];
  const on: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    off.push(await round(false));
    on.push(await round(true));
  }
  const line = (label: string, xs: number[]) => `${label.padEnd(24)} ${xs.map((x) => x.toFixed(0)).join(', ')} req/s (median ${median(xs).toFixed(0)})`;
  console.log(`rounds: ${ROUNDS} × ${SECONDS} s each, ${labels.setup}${CONNECTIONS} connections`);
  console.log(line(`${labels.off}:`, off));
  console.log(line(`${labels.on}:`, on));
  console.log(`${`ratio (${labels.ratio}):`.padEnd(24)} ${(median(on) / median(off)).toFixed(3)}`);
}
