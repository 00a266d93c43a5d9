// The Corral router for bench/router-tls.sh: WORKERS worker processes with an HTTP and an
// HTTPS listener (the certificate given, as the default one), one site (bench.test) over
// the backends. CORRAL_RAW_FRONT=0 reads every HTTP/1.1 request with node:http (the front
// before the raw one), on both listeners.
// Usage: node --import tsx bench/router-tls-server.ts HTTP_PORT HTTPS_PORT WORKERS CERT KEY BACKEND_PORT…
import { readFileSync } from 'node:fs';
import { startRouterCluster } from '../src/router/index.ts';

const [httpPort = '0', httpsPort = '0', workers = '1', certFile = '', keyFile = '', ...backends] = process.argv.slice(2);
const endpoints = backends.map((p, i) => ({ vs: `b${i}`, address: '127.0.0.1', port: Number(p), release: 'r1' }));
const cluster = await startRouterCluster({
  workers: Number(workers),
  listen: { port: Number(httpPort), host: '127.0.0.1' },
  httpsListen: { port: Number(httpsPort), host: '127.0.0.1' },
  router: { rawFront: process.env.CORRAL_RAW_FRONT !== '0', tls: { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') } },
  routes: [{ site: 'bench', domains: ['bench.test', '127.0.0.1'], endpoints, updatedAt: new Date(0).toISOString() }],
});
process.on('SIGTERM', () => void cluster.close(2_000).then(() => process.exit(0)));
