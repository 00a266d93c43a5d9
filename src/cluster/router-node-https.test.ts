// `corral router --join … --https-port 0 --workers 2` as a real process joined to a farm
// on etcd (controller in this process, loopback): HTTPS from its workers with the
// self-signed dev certificate (EC), a site's uploaded RSA certificate picked by SNI under TLS 1.3 (from the
// store's certificates/), the site routed over HTTPS, the workers' metrics on
// --metrics-port, and the flag checks.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { runCli } from '../../test/helpers/farm-process.ts';
import { startRole, type RoleProcess } from '../../test/helpers/role-process.ts';
import { apiOf, type Api } from '../../test/helpers/cluster-api.ts';
import { get } from '../../test/helpers/http.ts';
import { waitFor } from '../lib/wait.ts';
import { selfSigned } from '../lib/tls-testing.ts';
import { silentLogger } from '../lib/log.ts';
import { etcdMissing, startEtcdCluster, type EtcdCluster } from '../store/etcd-testing.ts';
import { startControllerNode, type ControllerNode } from './index.ts';

const skip = etcdMissing();

/** The certificate's CN and the answer's status line of a GET over a fresh TLS connection with SNI `host`. */
function httpsGet(url: string, host: string): Promise<{ cn: string; status: number }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: u.hostname, port: Number(u.port), servername: host, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] }, () => {
      const cn = String(s.getPeerCertificate().subject.CN);
      let raw = '';
      s.setEncoding('latin1');
      s.on('data', (c: string) => (raw += c));
      s.on('end', () => resolve({ cn, status: Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1] ?? 0) }));
      s.write(`GET / HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
    });
    s.on('error', reject);
  });
}

describe('corral router --https-port with workers', { skip, timeout: 60_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'corral-router-https-'));
  let etcd: EtcdCluster;
  let controller: ControllerNode;
  let admin: Api;
  let joinToken = '';
  let router: RoleProcess | undefined;

  before(async () => {
    etcd = await startEtcdCluster({ members: 1 });
    controller = await startControllerNode({ store: { endpoints: etcd.endpoints, namespace: '/farm' }, id: 'c1', dir: join(root, 'c1'), apiPort: 0, host: '127.0.0.1', log: silentLogger });
    admin = apiOf(() => [controller.apiUrl], controller.adminToken);
    joinToken = (await admin.call<{ token: string }>('POST', '/v1/join-tokens', { name: 'test' })).json.token;
  });

  after(async () => {
    await router?.kill();
    await controller?.close().catch(() => {});
    await etcd?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('serves HTTPS from every worker: the dev certificate, then the site certificate from the store', async (t) => {
    const customer = await admin.call<{ token: string }>('POST', '/v1/customers', { name: 'acme' });
    assert.equal(customer.status, 201);
    const acme = apiOf(() => [controller.apiUrl], customer.json.token);
    assert.equal((await acme.call('POST', '/v1/sites', { name: 'www', domains: ['www.acme.test'], kind: 'static' })).status, 201);

    router = startRole(['--dir', join(root, 'r1'), 'router', '--join', controller.apiUrl, '--token', joinToken, '--id', 'r1', '--http-port', '0', '--https-port', '0', '--workers', '2', '--metrics-port', '0', '--api-port', '0']);
    const [, httpsUrl] = await router.until(/^https\s+(https:\/\/127\.0\.0\.1:\d+)$/m);
    assert.match(router.output(), /2 workers/);
    // no replica: the router answers 503 itself, enough to see the route over HTTPS
    await waitFor(async () => (await httpsGet(httpsUrl!, 'www.acme.test')).status === 503, { what: 'the route over HTTPS' });
    assert.equal((await httpsGet(httpsUrl!, 'www.acme.test')).cn, 'corral.localhost', 'the dev certificate before any upload');
    assert.equal((await httpsGet(httpsUrl!, 'nobody.test')).status, 404);

    const pem = selfSigned(t, 'www.acme.test', ['DNS:www.acme.test'], { key: 'rsa' }); // RSA, beside the EC dev certificate
    assert.equal((await acme.call('POST', '/v1/sites/www/certificates', pem)).status, 201);
    // fresh connections until 20 in a row present the site's certificate (whichever worker took them)
    await waitFor(async () => {
      for (let i = 0; i < 20; i++) if ((await httpsGet(httpsUrl!, 'www.acme.test')).cn !== 'www.acme.test') return false;
      return true;
    }, { what: "every worker presenting the site's certificate" });
    assert.equal((await httpsGet(httpsUrl!, 'other.acme.test')).cn, 'corral.localhost');

    // the workers' metrics, summed by the primary, on --metrics-port (a worker reports every second)
    const [, httpUrl] = await router.until(/Corral router is up at (\S+)/);
    const [, metricsUrl] = await router.until(/^metrics\s+(\S+)$/m);
    assert.equal((await get(httpUrl!, 'www.acme.test')).status, 503);
    let text = '';
    await waitFor(async () => /^corral_router_active_connections \d+$/m.test((text = await (await fetch(metricsUrl!)).text())), { what: "the workers' series on /metrics" }).catch((err: Error) => {
      throw new Error(`${err.message}\n${text}`);
    });
    assert.match(text, /^# TYPE corral_site_requests_total counter$/m);
  });

  it('checks its TLS and worker flags', async (t) => {
    const a = selfSigned(t, 'a.test', ['DNS:a.test']);
    const b = selfSigned(t, 'b.test', ['DNS:b.test']);
    writeFileSync(join(root, 'a.crt'), a.cert);
    writeFileSync(join(root, 'b.key'), b.key, { mode: 0o600 });
    const run = (...args: string[]) => runCli(['router', '--join', controller.apiUrl, '--token', joinToken, ...args]);
    const [half, mismatch, workers, proxies, apiPort, samePort] = await Promise.all([
      run('--https-port', '0', '--tls-cert', join(root, 'a.crt')),
      run('--https-port', '0', '--tls-cert', join(root, 'a.crt'), '--tls-key', join(root, 'b.key')),
      run('--workers', 'many'),
      run('--trusted-proxies', '10.0.0.0/33'),
      run('--api-port', '70000'),
      run('--http-port', '7999', '--api-port', '7999'),
    ]);
    assert.equal(half.code, 1);
    assert.match(half.stderr, /--tls-cert and --tls-key go together/);
    assert.equal(mismatch.code, 1);
    assert.match(mismatch.stderr, /--tls-cert\/--tls-key cannot be used/);
    assert.equal(workers.code, 1);
    assert.match(workers.stderr, /--workers must be auto or a number from 1 to 256/);
    assert.equal(proxies.code, 1);
    assert.match(proxies.stderr, /--trusted-proxies: "10\.0\.0\.0\/33" is not an IP address or CIDR block/);
    assert.equal(apiPort.code, 1);
    assert.match(apiPort.stderr, /--api-port must be a port number \(0–65535\), got "70000"/);
    assert.equal(samePort.code, 1);
    assert.match(samePort.stderr, /--http-port and --api-port are both 7999/);
  });
});
