// The router for bench/router-tls.sh: one process, HTTP and HTTPS listeners, one site
// (bench.test) over one backend, a self-signed certificate made with openssl in DIR.
// Usage: node --import tsx bench/router-tls-server.ts DIR BACKEND_PORT → prints "HTTP HTTPS"
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { buildRouter } from '../src/router/index.ts';

const [dir = '.', backend = '0'] = process.argv.slice(2);
const [certFile, keyFile] = [join(dir, 'c.pem'), join(dir, 'k.pem')];
execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=bench.test', '-addext', 'subjectAltName=DNS:bench.test', '-keyout', keyFile, '-out', certFile], { stdio: 'ignore' });
const router = buildRouter({ tls: { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') } });
router.setRoutes([{ site: 'bench', domains: ['bench.test'], endpoints: [{ vs: 'b0', address: '127.0.0.1', port: Number(backend), release: 'r1' }], updatedAt: new Date(0).toISOString() }]);
await new Promise<void>((r) => router.server.listen(0, '127.0.0.1', r));
await new Promise<void>((r) => router.tlsServer!.listen(0, '127.0.0.1', r));
process.stdout.write(`${(router.server.address() as AddressInfo).port} ${(router.tlsServer!.address() as AddressInfo).port}\n`);
process.on('SIGTERM', () => void router.destroy().then(() => process.exit(0)));
