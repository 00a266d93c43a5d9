// The Corral router as shipped (dist/, the workers' bundle), with per-site metrics on as
// `corral up` and `corral router` run it: one site (bench.test) over two endpoints.
// Usage: node bench/router-memory-server.mjs PORT WORKERS BACKEND_PORT…   (after `npm run build`)
import { startRouterCluster } from '../dist/router/index.js';

const [port = 0, workers = 1, ...backends] = process.argv.slice(2).map(Number);
const endpoints = backends.map((p, i) => ({ vs: `b${i}`, address: '127.0.0.1', port: p, release: 'r1' }));
const cluster = await startRouterCluster({
  workers,
  listen: { port, host: '127.0.0.1' },
  router: { metrics: true },
  routes: [{ site: 'bench', domains: ['bench.test', '127.0.0.1'], endpoints, updatedAt: new Date(0).toISOString() }],
});
process.on('SIGTERM', () => void cluster.close(2_000).then(() => process.exit(0)));
