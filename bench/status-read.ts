// What one status read costs the controller on a farm of N pooled static sites: a real
// SQLite store filled with the farm in steady state (as bench/status-stream.ts fills it), the
// controller's real API on loopback, and ROUNDS calls in a row of each read an operator's
// tools make — GET /v1/status (corral status, the console), GET /v1/vs (corral vs list),
// GET /v1/sites/:name/status (a deploy following its rollout) — timed from the request to the
// last byte of the answer, one at a time. Prints the median and the slowest, the median CPU
// time of the process per call (the controller's work, and the client's reading: steadier than
// the wall time on a loaded machine), and the answer's size.
//
//   node --import tsx bench/status-read.ts [N …]    (default 10000; env ROUNDS=7, PER_CUSTOMER=100, ENGINES=1)
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildController, ensureAdminToken, openBlobStore } from '../src/controller/index.ts';
import { silentLogger } from '../src/lib/log.ts';
import { openSqliteStore } from '../src/store/index.ts';
import { pooledStaticSite, writeSteadyFarm } from './reconcile/steady-farm.ts';
import { median } from './density/samples.ts';

const SIZES = process.argv.slice(2).map(Number).filter((n) => n > 0);
const ROUNDS = Number(process.env.ROUNDS ?? 7);
const PER_CUSTOMER = Number(process.env.PER_CUSTOMER ?? 100);
const ENGINES = Number(process.env.ENGINES ?? 1);

console.log(`status reads: pooled static sites, ${PER_CUSTOMER} per customer, ${ENGINES} engine(s), ${ROUNDS} calls each`);
console.log('sites | read | median ms | max ms | CPU ms (median) | KiB');
for (const n of SIZES.length > 0 ? SIZES : [10_000]) {
  const dir = await mkdtemp(join(tmpdir(), 'corral-bench-status-'));
  const store = await openSqliteStore(join(dir, 'farm.db'));
  const app = await buildController({ store, blobs: await openBlobStore(join(dir, 'blobs')), log: silentLogger });
  try {
    await writeSteadyFarm(store, { sites: n, engines: ENGINES, maxVirtualServers: n + 16, plan: { drainDelayMs: 1000, engineLostGraceMs: 10_000 }, steps: 8, site: (i, name, now) => pooledStaticSite(i, name, now, PER_CUSTOMER) });
    const { token } = await ensureAdminToken(store, dir);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const site = (await (await fetch(`${base}/v1/sites`, { headers: { authorization: `Bearer ${token}` } })).json() as { sites: { name: string }[] }).sites[0]!.name;
    for (const path of ['/v1/status', '/v1/vs', `/v1/sites/${site}/status`]) {
      const times: number[] = [];
      const cpus: number[] = [];
      let bytes = 0;
      for (let i = 0; i < ROUNDS; i++) {
        const t0 = performance.now();
        const c0 = process.cpuUsage();
        const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } });
        const body = await res.arrayBuffer();
        times.push(performance.now() - t0);
        const c = process.cpuUsage(c0);
        cpus.push((c.user + c.system) / 1000);
        if (res.status !== 200) throw new Error(`${path} answered ${res.status}`);
        bytes = body.byteLength;
      }
      const label = path.replace(site, ':name');
      console.log([String(n).padStart(5), label.padEnd(22), median(times).toFixed(1).padStart(9), Math.max(...times).toFixed(1).padStart(6), median(cpus).toFixed(1).padStart(10), (bytes / 1024).toFixed(0).padStart(6)].join(' | '));
    }
  } finally {
    await app.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}
