// Spread is kept: a site's 4 replicas all on one engine (the only one), a second engine
// joins, and the reconciler moves replicas one at a time (build, swap, then stop) until
// they are 2/2, while a request loop through the router sees no failure; then the same
// after `engine drain` and `engine undrain` of the second engine. In one process
// on a one-member etcd, real engines on the process runtime, a real router.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '../lib/wait.ts';
import { silentLogger } from '../lib/log.ts';
import { etcdMissing, startEtcdCluster, type EtcdCluster } from '../store/etcd-testing.ts';
import { startControllerNode, startEngineNode, startRouterNode, type ControllerNode, type EngineNode, type RouterNode } from './index.ts';
import { apiOf, siteReplicas, uploadStaticExample, type Api } from '../../test/helpers/cluster-api.ts';
import { get, requestLoop } from '../../test/helpers/http.ts';

const skip = etcdMissing();
const HOST = 'www.acme.test';

describe('an engine joins a farm whose site sits on one engine', { skip, timeout: 120_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'corral-spread-'));
  let etcd: EtcdCluster;
  let controller: ControllerNode;
  const engines: EngineNode[] = [];
  let router: RouterNode;
  let admin: Api;
  let joinToken = '';

  before(async () => {
    etcd = await startEtcdCluster({ members: 1 });
    controller = await startControllerNode({ store: { endpoints: etcd.endpoints, namespace: '/farm' }, id: 'c1', dir: join(root, 'c1'), apiPort: 0, host: '127.0.0.1', log: silentLogger, drainDelayMs: 300 });
    admin = apiOf(() => [controller.apiUrl], controller.adminToken);
    joinToken = (await admin.call<{ token: string }>('POST', '/v1/join-tokens', { name: 'test' })).json.token;
    engines.push(await startEngineNode({ join: controller.apiUrl, token: joinToken, id: 'e1', dir: join(root, 'e1'), leaseTtlSeconds: 2, log: silentLogger }));
    router = await startRouterNode({ join: controller.apiUrl, token: joinToken, id: 'r1', httpPort: 0, host: '127.0.0.1', log: silentLogger });
  });

  after(async () => {
    await router?.close();
    for (const e of engines) await e.close().catch(() => {});
    await controller?.close().catch(() => {});
    await etcd?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('moves replicas one at a time until 2/2, with no failed request', async () => {
    assert.equal((await admin.call('POST', '/v1/customers', { name: 'acme' })).status, 201);
    // pooled: false: spreading one site's own VSs (a pooled site holds one replica per engine)
    const created = await admin.call('POST', '/v1/sites', { name: 'www', customer: 'acme', domains: [HOST], kind: 'static', replicas: 4, drainTimeoutMs: 500, pooled: false });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    const up = await uploadStaticExample(controller.apiUrl, controller.adminToken, 'www');
    assert.equal(up.status, 201, up.body);
    await waitFor(async () => (await siteReplicas(admin, 'www')).ready === 4, { what: '4 ready replicas', timeoutMs: 20_000 });
    assert.deepEqual((await siteReplicas(admin, 'www')).readyOn, ['e1', 'e1', 'e1', 'e1'], 'all on the only engine');
    await waitFor(async () => (await get(router.url, HOST)).status === 200, { what: 'the router serving the site' });

    const loop = requestLoop(router.url, HOST, { concurrency: 4 });
    await waitFor(() => loop.result.bodies.length >= 20, { what: 'load through the router' });
    const joined = Date.now();
    engines.push(await startEngineNode({ join: controller.apiUrl, token: joinToken, id: 'e2', dir: join(root, 'e2'), leaseTtlSeconds: 2, log: silentLogger }));
    const mostAssigned = await spreadTo(2, 2);
    const spreadMs = Date.now() - joined;
    const result = await loop.stop();
    console.log(`# engine joined → 2/2 in ${spreadMs} ms; ${result.total} requests, ${result.failed.length} failed; at most ${mostAssigned} servers assigned`);
    assert.deepEqual(result.failed, []);
    assert.ok(mostAssigned <= 5, `one move at a time (${mostAssigned} servers at most)`);
  });

  it('an engine drained then undrained gets its share back, with no failed request', async () => {
    const loop = requestLoop(router.url, HOST, { concurrency: 4 });
    assert.equal((await admin.call('POST', '/v1/engines/e2/drain')).status, 200);
    await spreadTo(4, 0);
    assert.equal((await admin.call('DELETE', '/v1/engines/e2/drain')).status, 204);
    const undrained = Date.now();
    const mostAssigned = await spreadTo(2, 2);
    const spreadMs = Date.now() - undrained;
    const result = await loop.stop();
    console.log(`# engine undrained → 2/2 in ${spreadMs} ms; ${result.total} requests (drain included), ${result.failed.length} failed`);
    assert.deepEqual(result.failed, []);
    assert.ok(mostAssigned <= 5, `one move at a time (${mostAssigned} servers at most)`);
  });

  /** Wait until the site's 4 assignments are ready, `e1` on e1 and `e2` on e2; the most assignments seen meanwhile. */
  async function spreadTo(e1: number, e2: number): Promise<number> {
    let most = 0;
    await waitFor(
      async () => {
        const r = await siteReplicas(admin, 'www');
        // a server whose assignment was deleted is listed while it stops: count assignments
        const assigned = (r.all as { assigned?: boolean }[]).filter((v) => v.assigned === true).length;
        most = Math.max(most, assigned);
        const on = (id: string) => r.readyOn.filter((e) => e === id).length;
        return assigned === 4 && r.ready === 4 && on('e1') === e1 && on('e2') === e2;
      },
      { what: `ready replicas ${e1} on e1, ${e2} on e2`, timeoutMs: 40_000, intervalMs: 50 },
    );
    return most;
  }
});
