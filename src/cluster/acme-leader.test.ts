// ACME on a farm on etcd: two controllers, one router node; only the leader's issuer
// orders, so a site's certificate is ordered once, and a new leader after a failover
// finds it valid and orders nothing.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { apiOf, type Api } from '../../test/helpers/cluster-api.ts';
import { run } from '../../test/helpers/acme-farm.ts';
import { pebbleMissing, startPebble, type Pebble } from '../lib/pebble-testing.ts';
import { freePorts } from '../lib/free-ports.ts';
import { selfSigned } from '../lib/tls-testing.ts';
import { silentLogger } from '../lib/log.ts';
import { waitFor } from '../lib/wait.ts';
import { captureLog } from '../router/testing.ts';
import { etcdMissing, startEtcdCluster, type EtcdCluster } from '../store/etcd-testing.ts';
import { startControllerNode, startRouterNode, type ControllerNode, type RouterNode } from './index.ts';

const skip = etcdMissing() || pebbleMissing();

describe('ACME with two controllers on etcd', { skip, timeout: 180_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'corral-cluster-acme-'));
  let etcd: EtcdCluster;
  let pebble: Pebble;
  let router: RouterNode;
  let admin: Api;
  let httpsPort = 0;
  const controllers: ControllerNode[] = [];
  const logs = [captureLog(), captureLog()];
  const orders = () => logs.flatMap((l) => l.events('acme.order'));
  // the helpers register their cleanup with a test's after(); here the suite's after runs them
  const cleanups: Array<() => unknown> = [];
  const ctx = { after: (fn: () => unknown) => void cleanups.push(fn) } as unknown as import('node:test').TestContext;

  before(async () => {
    const [httpPort, tlsPort] = await freePorts(2);
    httpsPort = tlsPort!;
    pebble = await startPebble(ctx, { httpPort: httpPort!, tlsPort: httpsPort });
    etcd = await startEtcdCluster({ members: 1 });
    const store = { endpoints: etcd.endpoints, namespace: '/farm' };
    const acme = { directoryUrl: pebble.directoryUrl, caPem: pebble.caPem, challenges: ['http-01' as const], publishWaitMs: 200, pollMinMs: 100, pollMaxMs: 500, backoffMinMs: 500, tickMs: 500 };
    for (const [i, id] of ['c1', 'c2'].entries()) {
      const adminTokenFile = controllers[0]?.tokenFile;
      controllers.push(await startControllerNode({ store, id, dir: join(root, id), apiPort: 0, host: '127.0.0.1', log: logs[i]!.log, leaderTtlSeconds: 4, acme, ...(adminTokenFile ? { adminTokenFile } : {}) }));
    }
    admin = apiOf(() => controllers.map((c) => c.apiUrl), controllers[0]!.adminToken);
    const join_ = await admin.call<{ token: string }>('POST', '/v1/join-tokens', { name: 'router' });
    router = await startRouterNode({
      join: controllers.map((c) => c.apiUrl).join(','), token: join_.json.token, id: 'r1', host: '127.0.0.1', httpPort: httpPort!,
      https: { port: httpsPort, cert: selfSigned(ctx, 'corral-default', ['DNS:corral-default']) }, log: silentLogger,
    });
  });

  after(async () => {
    await router?.close().catch(() => {});
    for (const c of controllers) await c.close().catch(() => {});
    await etcd?.close();
    for (const c of cleanups.reverse()) await c();
    rmSync(root, { recursive: true, force: true });
  });

  it('orders each certificate once, on the leader; a new leader orders nothing more', async () => {
    await waitFor(() => controllers.some((c) => c.isLeader), { what: 'a leader' });
    assert.equal((await admin.call('POST', '/v1/customers', { name: 'acme' })).status, 201);
    assert.equal((await admin.call('POST', '/v1/sites', { name: 'shop', customer: 'acme', domains: ['shop.test'], kind: 'static', tls: 'auto' })).status, 201);
    const status = await waitFor(async () => {
      const s = (await admin.call<{ certificate: { state: string } }>('GET', '/v1/sites/shop/certificate-status')).json.certificate;
      return s.state === 'valid' ? s : undefined;
    }, { timeoutMs: 60_000, intervalMs: 100, what: 'the certificate' });
    assert.deepEqual((status as unknown as { names: string[] }).names, ['shop.test']);
    // served by the router node, verified against pebble's root
    const rootFile = join(root, 'root.pem');
    writeFileSync(rootFile, await pebble.root());
    const curl = await waitFor(async () => {
      const r = await run('curl', ['-sS', '--max-time', '5', '--cacert', rootFile, '--resolve', `shop.test:${httpsPort}:127.0.0.1`, `https://shop.test:${httpsPort}/`, '-o', '/dev/null', '-w', '%{http_code}']);
      return r.code === 0 ? r : undefined;
    }, { timeoutMs: 10_000, what: 'a verified handshake' });
    assert.equal(curl.body, '503'); // no release deployed: the router's own answer, over the issued certificate
    const leader = controllers.findIndex((c) => c.isLeader);
    // on failure, what each controller's issuer and election said, in order
    const story = () => logs.map((l, i) => `c${i + 1}: ` + l.records().filter((r) => /^(acme|leader)\./.test(String(r.event ?? '')))
      .map((r) => `${String(r.event)}${r.site ? ` ${String(r.site)}` : ''}${r.kind ? ` ${String(r.kind)}` : ''}`).join(', ')).join('; ');
    // one certificate installed, ordered once: every order placed by an elected controller,
    // and a second only after a failed one (the router had not got the challenge yet) or
    // after the leader lost its lease mid-order (a loaded machine): its writes are fenced,
    // so the next leader orders again
    // logged once the installation's event is recorded, a moment after the status reads valid
    const issued = await waitFor(() => logs.flatMap((l) => l.events('acme.issued')).length || undefined, { timeoutMs: 5_000, what: 'the issued event' });
    const failed = logs.flatMap((l) => l.events('acme.failed')).length;
    const demoted = logs.flatMap((l) => l.events('leader.demoted')).length;
    assert.equal(issued, 1, `one certificate installed: ${story()}`);
    assert.ok(orders().length - failed - demoted <= 1, `one successful order in the farm (${orders().length} orders, ${failed} failed, ${demoted} demotions): ${story()}`);
    // an order follows its controller's election (its status write is fenced by the lease; a
    // demotion may be logged between that write and the order's own line, so only this is sure)
    for (const [i, l] of logs.entries()) {
      let elected = false;
      for (const r of l.records()) {
        if (r.event === 'leader.elected') elected = true;
        if (r.event === 'acme.order') assert.ok(elected, `c${i + 1} ordered before it was ever elected: ${story()}`);
      }
    }
    const ordered = orders().length;

    // the leader goes away; the other takes over, looks at the site and orders nothing
    const follower = 1 - leader;
    const passesBefore = logs[follower]!.events('acme.pass').length;
    await controllers[leader]!.close();
    await waitFor(() => controllers[follower]!.isLeader, { timeoutMs: 20_000, what: 'the other controller to lead' });
    await waitFor(() => logs[follower]!.events('acme.pass').length > passesBefore + 1, { timeoutMs: 10_000, what: 'the new leader\'s ACME passes' });
    assert.equal(orders().length, ordered, 'the new leader ordered nothing');
  });
});
