// The Corral router for the router benches: one site (bench.test, 127.0.0.1) over the given
// backends, in a cluster of WORKERS.
// Usage: node bench/router-server.mjs PORT WORKERS BACKEND_PORT…   the shipped router (dist/, the
//        workers' bundle; run `npm run build` first), as bench/router-memory.sh measures it;
//        CORRAL_ROUTER_SOURCE=1 node --import tsx bench/router-server.mjs …   src/ as it is (bench/lib.sh
//        start_corral_script: bench/router.sh, bench/router-cpu.sh).
// CORRAL_METRICS=1 turns per-site metrics on, as `corral up` and `corral router` run it;
// CORRAL_RAW_UPSTREAM=0 sends every request through undici (the path before the raw one);
// CORRAL_RAW_FRONT=0 reads every request with node:http (the front before the raw one).
const { startRouterCluster } = await import(process.env.CORRAL_ROUTER_SOURCE === '1' ? '../src/router/index.ts' : '../dist/router/index.js');

const [port = 0, workers = 1, ...backends] = process.argv.slice(2).map(Number);
const endpoints = backends.map((p, i) => ({ vs: `b${i}`, address: '127.0.0.1', port: p, release: 'r1' }));
const router = { rawUpstream: process.env.CORRAL_RAW_UPSTREAM !== '0', rawFront: process.env.CORRAL_RAW_FRONT !== '0' };
if (process.env.CORRAL_METRICS === '1') router.metrics = true;
const cluster = await startRouterCluster({
  workers,
  listen: { port, host: '127.0.0.1' },
  router,
  routes: [{ site: 'bench', domains: ['bench.test', '127.0.0.1'], endpoints, updatedAt: new Date(0).toISOString() }],
});
process.on('SIGTERM', () => void cluster.close(2_000).then(() => process.exit(0)));
