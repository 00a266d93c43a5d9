// An ACME farm in one process for tests: the controller API (SQLite), a router serving
// HTTP and HTTPS on loopback with the route watch and the certificate watch, pebble
// validating against that router's ports, and the ACME issuer. Routes are written
// directly (no engine): each site points at a small backend answering its name.

import { execFile } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAcmeIssuer, type AcmeIssuer, type AcmeSettings } from '../../src/controller/index.ts';
import { startController, type Harness } from '../../src/controller/test-harness.ts';
import { silentLogger } from '../../src/lib/log.ts';
import { startPebble, type Pebble } from '../../src/lib/pebble-testing.ts';
import { selfSigned } from '../../src/lib/tls-testing.ts';
import { waitFor } from '../../src/lib/wait.ts';
import { keys, type CertStatusRecord, type Route } from '../../src/model/index.ts';
import { buildRouter, watchCertificates, watchRoutes, type Router } from '../../src/router/index.ts';
import { startBackend } from '../../src/router/testing.ts';

export interface AcmeFarm {
  h: Harness;
  router: Router;
  httpPort: number;
  httpsPort: number;
  pebble: Pebble;
  issuer: AcmeIssuer;
  /** The issuer's clock: stopped at `at` if set, else real time plus `offsetMs`. */
  clock: { at?: number; offsetMs?: number };
  /** A route for site → a backend answering `name`. */
  route(site: string, domains: string[]): Promise<void>;
  status(site: string): Promise<CertStatusRecord | undefined>;
  waitStatus(site: string, ok: (s: CertStatusRecord) => boolean, what: string, timeoutMs?: number): Promise<CertStatusRecord>;
  /** curl over HTTPS through the router, checking the certificate against pebble's root: [exit code, body]. */
  curl(host: string, path?: string): Promise<{ code: number; body: string; stderr: string }>;
}

export async function startAcmeFarm(t: TestContext, settings: AcmeSettings = {}, pebbleEab?: Record<string, string>): Promise<AcmeFarm> {
  const h = await startController(t);
  const router = buildRouter({ log: silentLogger, tls: selfSigned(t, 'corral-default', ['DNS:corral-default']), drainTimeoutMs: 1000 });
  t.after(() => router.destroy());
  const httpPort = await listen(router.server);
  const httpsPort = await listen(router.tlsServer!);
  const routes = await watchRoutes(h.store, router, silentLogger);
  t.after(routes);
  const certs = await watchCertificates(h.store, router, silentLogger);
  t.after(certs);
  const pebble = await startPebble(t, { httpPort, tlsPort: httpsPort, ...(pebbleEab ? { eab: pebbleEab } : {}) });
  const clock: { at?: number; offsetMs?: number } = {};
  const issuer = await startAcmeIssuer({
    store: h.store, log: silentLogger,
    acme: {
      directoryUrl: pebble.directoryUrl, caPem: pebble.caPem, email: 'ops@corral.test',
      publishWaitMs: 50, pollMinMs: 100, pollMaxMs: 500, backoffMinMs: 300, backoffMaxMs: 3000, dnsPropagationMs: 50, tickMs: 1000,
      now: () => clock.at ?? Date.now() + (clock.offsetMs ?? 0),
      ...settings,
    },
  });
  t.after(() => issuer.close());
  const dir = mkdtempSync(join(tmpdir(), 'corral-acme-farm-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  let rootFile: string | undefined;
  const status = async (site: string) => {
    const kv = await h.store.get(keys.certStatus(site));
    return kv ? (JSON.parse(kv.value) as CertStatusRecord) : undefined;
  };
  return {
    h, router, httpPort, httpsPort, pebble, issuer, clock, status,
    async route(site, domains) {
      const backend = await startBackend(t, site);
      const r: Route = { site, domains, endpoints: [backend.endpoint], updatedAt: new Date().toISOString() };
      await h.store.put(keys.route(site), JSON.stringify(r));
    },
    waitStatus: (site, ok, what, timeoutMs = 30_000) => waitFor(async () => {
      const s = await status(site);
      return s && ok(s) ? s : undefined;
    }, { timeoutMs, intervalMs: 50, what }),
    async curl(host, path = '/') {
      if (!rootFile) {
        rootFile = join(dir, 'root.pem');
        writeFileSync(rootFile, await pebble.root());
      }
      return run('curl', ['-sS', '--max-time', '5', '--cacert', rootFile, '--resolve', `${host}:${httpsPort}:127.0.0.1`, `https://${host}:${httpsPort}${path}`]);
    },
  };
}

function listen(server: { listen(port: number, host: string, cb: () => void): unknown; address(): AddressInfo | string | null }): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

export function run(cmd: string, args: string[]): Promise<{ code: number; body: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, body: stdout, stderr }));
  });
}
