// The Corral router as the bench runs it: one site (bench.test) over two endpoints.
// Usage: node --import tsx bench/router-server.ts PORT WORKERS BACKEND_PORT…
// CORRAL_RAW_UPSTREAM=0 sends every request through undici (the path before the raw one);
// CORRAL_RAW_FRONT=0 reads every request with node:http (the front before the raw one).
import { startRouterCluster } from '../src/router/index.ts';

const [port = 0, workers = 1, ...backends] = process.argv.slice(2).map(Number);
const endpoints = backends.map((p, i) => ({ vs: `b${i}`, address: '127.0.0.1', port: p, release: 'r1' }));
const cluster = await startRouterCluster({
  workers,
  listen: { port, host: '127.0.0.1' },
  router: { rawUpstream: process.env.CORRAL_RAW_UPSTREAM !== '0', rawFront: process.env.CORRAL_RAW_FRONT !== '0' },
  routes: [{ site: 'bench', domains: ['bench.test', '127.0.0.1'], endpoints, updatedAt: new Date(0).toISOString() }],
});
process.on('SIGTERM', () => void cluster.close(2_000).then(() => process.exit(0)));
