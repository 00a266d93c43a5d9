// An engine on the namespace runtime: its guests reach the database cluster at their bridge
// address (the runtime's forwarder, port 5432), which pipes into the engine's Patroni
// forwarder on loopback; the engine publishes the bridge address and the controller hands
// it out.

import assert from 'node:assert/strict';
import net from 'node:net';
import { it } from 'node:test';
import { waitFor } from '../lib/wait.ts';
import { silentLogger } from '../lib/log.ts';
import { namespaceSkip, testNetwork } from '../engine/namespace/testing.ts';
import { onCleanup, tempDir } from '../engine/testing.ts';
import { etcdMissing, startEtcdCluster } from '../store/etcd-testing.ts';
import { startClusterDbServer, startControllerNode, startEngineNode } from './index.ts';
import { apiOf, siteReplicas, uploadStaticExample } from '../../test/helpers/cluster-api.ts';

const skip = etcdMissing() || (await namespaceSkip());

it("a namespace engine's database forwarder listens on its guests' bridge address", { skip, timeout: 90_000 }, async (t) => {
  const root = await tempDir(t, 'corral-dbbridge-');
  const etcd = await startEtcdCluster({ members: 1 });
  onCleanup(t, () => etcd.close());
  const controller = await startControllerNode({ store: { endpoints: etcd.endpoints, namespace: '/farm' }, id: 'c1', dir: `${root}/c1`, apiPort: 0, host: '127.0.0.1', log: silentLogger });
  onCleanup(t, () => controller.close());
  const admin = apiOf(() => [controller.apiUrl], controller.adminToken);
  const joinToken = (await admin.call<{ token: string }>('POST', '/v1/join-tokens', { name: 'test' })).json.token;
  const network = await testNetwork(t);
  const gateway = network.subnet.replace(/\.0\/24$/, '.1');
  const engine = await startEngineNode({
    join: controller.apiUrl, token: joinToken, id: 'e1', dir: `${root}/e1`, address: '127.0.0.1', runtime: 'namespace', ...network, log: silentLogger,
    db: { forwardPort: 0 },
  });
  onCleanup(t, () => engine.close());
  assert.equal(engine.db?.member, undefined, 'no member without --db');
  assert.throws(() => controller.db.guestEndpoint('e2'), (err: Error & { code?: string }) => err.code === 'CLUSTER_DB_NO_FORWARDER');

  assert.equal((await admin.call('POST', '/v1/customers', { name: 'acme' })).status, 201);
  assert.equal((await admin.call('POST', '/v1/sites', { name: 'www', customer: 'acme', domains: ['www.acme.test'], kind: 'static', replicas: 1 })).status, 201);
  assert.equal((await uploadStaticExample(controller.apiUrl, controller.adminToken, 'www')).status, 201);
  await waitFor(async () => (await siteReplicas(admin, 'www')).ready === 1, { what: 'a guest on the bridge', timeoutMs: 30_000 });
  const guest = (await admin.call<{ virtualServers: { vs: string }[] }>('GET', '/v1/sites/www/status')).json.virtualServers[0]!;
  assert.ok(engine.agent.snapshot().get(guest.vs), 'the guest runs on this engine');

  assert.equal(engine.db?.forwarder()?.host, '127.0.0.1', "the Patroni forwarder is on the engine's loopback, not on the bridge");
  const fwd = { host: gateway, port: 5432 };
  await waitFor(() => { try { return controller.db.guestEndpoint('e1').host === gateway; } catch { return false; } }, { what: 'the endpoint published to the controller', timeoutMs: 5_000 });
  assert.deepEqual(controller.db.guestEndpoint('e1'), fwd);
  // no database member in this farm: ready() says so, and a connection is closed at once
  const db = await startClusterDbServer(controller.store, { readyTimeoutMs: 300 });
  onCleanup(t, () => db.close());
  await assert.rejects(db.ready(), /a primary in the database cluster \(engines run its members with `corral engine --db`\)/);
  await new Promise<void>((resolve, reject) => {
    const s = net.connect({ host: fwd.host, port: fwd.port });
    s.once('error', reject).once('close', () => resolve());
  });
});
