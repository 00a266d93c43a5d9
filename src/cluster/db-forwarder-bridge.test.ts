// An engine on the namespace runtime: its guests reach the database cluster at their bridge
// address (the runtime's forwarder, port 5432), which pipes into the engine's Patroni
// forwarder on loopback; the engine publishes the bridge address and the controller hands
// it out.

import assert from 'node:assert/strict';
import net from 'node:net';
import { it } from 'node:test';
import { waitFor } from '../lib/wait.ts';
import { keys, type EngineRecord } from '../model/index.ts';
import { namespaceSkip, testNetwork } from '../engine/namespace/testing.ts';
import { run } from '../engine/namespace/host-command.ts';
import { onCleanup } from '../engine/testing.ts';
import { etcdMissing } from '../store/etcd-testing.ts';
import { startClusterDbServer } from './index.ts';
import { startEtcdFarm, startNamespaceEngine } from './testing.ts';
import { siteReplicas, uploadStaticExample } from '../../test/helpers/cluster-api.ts';

const skip = etcdMissing() || (await namespaceSkip());

it("a namespace engine's database forwarder listens on its guests' bridge address", { skip, timeout: 90_000 }, async (t) => {
  const farm = await startEtcdFarm(t, 'corral-dbbridge-');
  const { controller, admin } = farm;
  const { engine, network } = await startNamespaceEngine(t, farm, { db: { forwardPort: 0 } });
  const gateway = network.subnet.replace(/\.0\/24$/, '.1');
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
  // its record says its guests reach the database: the scheduler places sites bound to one here
  const record = JSON.parse((await controller.store.get(keys.engine('e1')))!.value) as EngineRecord;
  assert.equal(record.reachesDatabase, true);
  // no database member in this farm: ready() says so, and a connection is closed at once
  const db = await startClusterDbServer(controller.store, { readyTimeoutMs: 300 });
  onCleanup(t, () => db.close());
  await assert.rejects(db.ready(), /a primary in the database cluster \(engines run its members with `corral engine --db`\)/);
  await new Promise<void>((resolve, reject) => {
    const s = net.connect({ host: fwd.host, port: fwd.port });
    s.once('error', reject).once('close', () => resolve());
  });
});

it("an engine whose guests' forwarder cannot listen does not say its guests reach the database", { skip, timeout: 90_000 }, async (t) => {
  const farm = await startEtcdFarm(t, 'corral-dbbridge-taken-');
  const network = await testNetwork(t);
  const gateway = network.subnet.replace(/\.0\/24$/, '.1');
  await run('ip', ['addr', 'add', `${gateway}/24`, 'dev', network.bridge]);
  const squatter = net.createServer(); // another server on the bridge's 5432
  await new Promise<void>((resolve, reject) => squatter.once('error', reject).listen(5432, gateway, resolve));
  onCleanup(t, () => new Promise<void>((r) => squatter.close(() => r())));
  await startNamespaceEngine(t, farm, { db: { forwardPort: 0 }, ...network });
  const record = await waitFor(async () => {
    const kv = await farm.controller.store.get(keys.engine('e1'));
    return kv ? (JSON.parse(kv.value) as EngineRecord) : undefined;
  }, { what: "the engine's record", timeoutMs: 10_000 });
  assert.equal(record.reachesDatabase, undefined, 'the scheduler places no site bound to a database here');
});
