// The cluster roles in one process, on loopback: a 3-member etcd, two controllers,
// three engines and a router; a request loop through the router while an engine dies,
// then the leader controller dies. test/cluster.test.ts runs the full scenario (also an
// etcd member down and a drain) with real processes, each engine its own host.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '../lib/wait.ts';
import { silentLogger } from '../lib/log.ts';
import { etcdMissing, startEtcdCluster, type EtcdCluster } from '../store/etcd-testing.ts';
import { startControllerNode, startEngineNode, startRouterNode, type ControllerNode, type EngineNode, type RouterNode } from './index.ts';
import { apiOf, replacedOff, siteReplicas, uploadStaticExample, type Api } from '../../test/helpers/cluster-api.ts';
import { get, requestLoop } from '../../test/helpers/http.ts';

const skip = etcdMissing();
const HOST = 'www.acme.test';

describe('a farm on etcd, in one process', { skip, timeout: 120_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'corral-cluster-'));
  let etcd: EtcdCluster;
  const controllers: ControllerNode[] = [];
  const engines = new Map<string, EngineNode>();
  let router: RouterNode;
  let admin: Api;
  let joinToken = '';
  const live = () => controllers.map((c) => c.apiUrl);

  before(async () => {
    etcd = await startEtcdCluster({ members: 3 });
    const store = { endpoints: etcd.endpoints, namespace: '/farm' };
    for (const id of ['c1', 'c2']) {
      // the first controller creates the farm's admin token; the others are given it
      const adminTokenFile = controllers[0]?.tokenFile;
      controllers.push(await startControllerNode({ store, id, dir: join(root, id), apiPort: 0, host: '127.0.0.1', log: silentLogger, drainDelayMs: 300, ...(adminTokenFile ? { adminTokenFile } : {}) }));
    }
    admin = apiOf(live, controllers[0]!.adminToken);
    joinToken = (await admin.call<{ token: string }>('POST', '/v1/join-tokens', { name: 'test' })).json.token;
    for (const id of ['e1', 'e2', 'e3']) {
      engines.set(id, await startEngineNode({ join: live().join(','), token: joinToken, id, dir: join(root, id), leaseTtlSeconds: 2, log: silentLogger }));
    }
    router = await startRouterNode({ join: live()[1]!, token: joinToken, id: 'r1', httpPort: 0, host: '127.0.0.1', log: silentLogger });
  });

  after(async () => {
    await router?.close();
    for (const e of engines.values()) await e.close().catch(() => {});
    for (const c of controllers) await c.close().catch(() => {});
    await etcd?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('every controller has the one admin token; a controller not given it does not start', async () => {
    assert.equal(controllers[1]!.adminToken, controllers[0]!.adminToken);
    const second = apiOf(() => [controllers[1]!.apiUrl], controllers[0]!.adminToken);
    assert.equal((await second.call('GET', '/v1/join-tokens')).status, 200);
    await assert.rejects(
      startControllerNode({ store: { endpoints: etcd.endpoints, namespace: '/farm' }, id: 'c9', dir: join(root, 'c9'), apiPort: 0, host: '127.0.0.1', log: silentLogger }),
      /already has an admin token.*--admin-token-file/,
    );
  });

  it('joins engines, elects one leader, and serves a site from two engines', async () => {
    assert.equal(controllers.filter((c) => c.isLeader).length, 1);
    const engineList = (await admin.call<{ engines: { id: string; state: string }[] }>('GET', '/v1/engines')).json.engines;
    assert.deepEqual(engineList.map((e) => `${e.id}:${e.state}`), ['e1:ready', 'e2:ready', 'e3:ready']);
    assert.equal((await admin.call('POST', '/v1/customers', { name: 'acme' })).status, 201);
    // pooled: false: the site's own VSs, replaced off a dead engine and scaled to 3 on the two
    // engines left (a pooled site holds one replica per engine)
    assert.equal((await admin.call('POST', '/v1/sites', { name: 'www', customer: 'acme', domains: [HOST], kind: 'static', replicas: 2, pooled: false })).status, 201);
    // Uploaded to the follower: stored there and on the other controller before the 201.
    const follower = controllers.find((c) => !c.isLeader)!;
    const up = await uploadStaticExample(follower.apiUrl, follower.adminToken, 'www');
    assert.equal(up.status, 201, up.body);
    const sha = (JSON.parse(up.body) as { release: { sha256: string } }).release.sha256;
    for (const c of controllers) assert.equal((await fetch(`${c.apiUrl}/v1/blobs/${sha}`, { headers: { authorization: `Bearer ${c.adminToken}` } })).status, 200, `blob on ${c.id}`);
    await waitFor(async () => (await siteReplicas(admin, 'www')).ready === 2, { what: '2 ready replicas', timeoutMs: 20_000 });
    const { readyOn } = await siteReplicas(admin, 'www');
    assert.equal(new Set(readyOn).size, 2, 'spread over two engines');
    await waitFor(async () => (await get(router.url, HOST)).status === 200, { what: 'the router serving the site' });
  });

  it('a router restarted under load never answers 404 for a configured site (in process, then with workers)', async () => {
    for (const workers of [1, 2]) {
      const port = Number(new URL(router.url).port);
      const loop = requestLoop(router.url, HOST, { concurrency: 4 });
      await waitFor(() => loop.result.bodies.length >= 20, { what: 'load through the router' });
      await router.close();
      const started = performance.now();
      router = await startRouterNode({ join: live()[0]!, token: joinToken, id: 'r1', httpPort: port, host: '127.0.0.1', workers, log: silentLogger });
      const startMs = performance.now() - started;
      const served = loop.result.bodies.length;
      await waitFor(() => loop.result.bodies.length >= served + 20, { what: 'load through the restarted router' });
      const result = await loop.stop();
      const statuses = result.failed.map((f) => f.status);
      console.log(`# router restart (${workers} worker${workers > 1 ? 's' : ''}): listening ${Math.round(startMs)} ms after the start; ${result.total} requests, failed: ${JSON.stringify(statuses.reduce<Record<string, number>>((n, s) => ({ ...n, [s]: (n[s] ?? 0) + 1 }), {}))}`);
      // while it is down connections are refused; once it listens it knows every site
      assert.deepEqual(statuses.filter((s) => typeof s === 'number'), [], 'no HTTP error status (no 404, no 503)');
    }
  });

  it('an engine dies: no failed request, replacement ready elsewhere within seconds', async () => {
    const loop = requestLoop(router.url, HOST, { concurrency: 4 });
    const { readyOn } = await siteReplicas(admin, 'www');
    const victim = readyOn[0]!;
    const died = Date.now();
    await engines.get(victim)!.destroy();
    engines.delete(victim);
    await replacedOff(admin, 'www', victim, 2, { timeoutMs: 20_000, intervalMs: 50 });
    const restoredMs = Date.now() - died;
    const result = await loop.stop();
    console.log(`# engine death → full capacity in ${restoredMs} ms; ${result.total} requests, ${result.failed.length} failed`);
    assert.deepEqual(result.failed, []);
    assert.ok(restoredMs < 10_000, `restored in ${restoredMs} ms`);
  });

  it('the leader controller dies: the other leads, API writes go on, none lost', async () => {
    const leader = controllers.find((c) => c.isLeader)!;
    const other = controllers.find((c) => c !== leader)!;
    const acknowledged: string[] = [];
    let writing = true;
    const writer = (async () => {
      for (let i = 0; writing; i++) {
        const name = `cust-${i}`;
        const res = await admin.call('POST', '/v1/customers', { name }).catch(() => ({ status: 0 }));
        if (res.status === 201) acknowledged.push(name);
      }
    })();
    await waitFor(() => acknowledged.length >= 3, { what: 'some writes' });
    await leader.destroy();
    controllers.splice(controllers.indexOf(leader), 1);
    await waitFor(() => other.isLeader, { what: 'a new leader', timeoutMs: 10_000 });
    const before = acknowledged.length;
    await waitFor(() => acknowledged.length >= before + 3, { what: 'writes after the failover' });
    writing = false;
    await writer;
    const stored = new Set((await admin.call<{ customers: { id: string }[] }>('GET', '/v1/customers')).json.customers.map((c) => c.id));
    for (const name of acknowledged) assert.ok(stored.has(name), `acknowledged ${name} kept`);
    // The new leader reconciles: scaling up works.
    assert.equal((await admin.call('POST', '/v1/sites/www/scale', { replicas: 3 })).status, 200);
    await waitFor(async () => (await siteReplicas(admin, 'www')).ready === 3, { what: '3 ready replicas', timeoutMs: 20_000 });
  });
});
