// What one site's route change costs a router worker at N sites (default 10,000): the
// message over IPC (JSON encode + decode) and the router's work, for the whole table
// (setRoutes, {type: 'routes'}) and for the per-site diff (updateRoutes, {type: 'route-diff'}).
// Usage: npx tsx bench/route-update.ts [N]
import type { Route } from '../src/model/index.ts';
import { buildRouter } from '../src/router/index.ts';
import { median } from './density/samples.ts';

const n = Number(process.argv[2] ?? 10_000);
const ROUNDS = 20;
const routeOf = (i: number, port: number): Route => ({
  site: `s${i}`, domains: [`s${i}.example.test`], endpoints: [{ vs: `s${i}-0a1b2c`, address: '127.0.0.1', port, release: 'v1' }],
  updatedAt: new Date(0).toISOString(),
});
const routes = Array.from({ length: n }, (_, i) => routeOf(i, 20_000 + (i % 40_000)));
const ipc = <T>(m: T): { m: T; bytes: number } => {
  const text = JSON.stringify(m);
  return { m: JSON.parse(text) as T, bytes: Buffer.byteLength(text) };
};

const router = buildRouter();
router.setRoutes(routes);
const whole: number[] = [];
const diff: number[] = [];
let wholeBytes = 0;
let diffBytes = 0;
for (let r = 0; r < ROUNDS; r++) {
  const i = (r * 7919) % n;
  routes[i] = routeOf(i, 60_000 + r); // one site moves to a new endpoint
  let t0 = performance.now();
  const a = ipc({ type: 'routes', routes });
  router.setRoutes(a.m.routes);
  whole.push(performance.now() - t0);
  wholeBytes = a.bytes;
  if (!('updateRoutes' in router)) continue;
  routes[i] = routeOf(i, 61_000 + r);
  t0 = performance.now();
  const b = ipc({ type: 'route-diff', put: [routes[i]!], remove: [] as string[] });
  router.updateRoutes(b.m);
  diff.push(performance.now() - t0);
  diffBytes = b.bytes;
}
await router.destroy();
console.log(`one route change at ${n} sites, per worker (median of ${ROUNDS}):`);
console.log(`  whole table (setRoutes):  ${median(whole).toFixed(2)} ms, ${(wholeBytes / 1024).toFixed(0)} KiB`);
if (diff.length) console.log(`  per-site diff (updateRoutes): ${median(diff).toFixed(3)} ms, ${diffBytes} B`);
