// Deleting a site on a farm on etcd: the engines see only the store. An engine that
// runs removes the site's data folder, logs and unpacked release once its VS stopped;
// an engine that was down during the delete does so when it comes back; every
// controller collects its copy of the blob.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '../lib/wait.ts';
import { silentLogger } from '../lib/log.ts';
import { etcdMissing, startEtcdCluster, type EtcdCluster } from '../store/etcd-testing.ts';
import { startControllerNode, startEngineNode, type ControllerNode, type EngineNode } from './index.ts';
import { apiOf, siteReplicas, uploadStaticExample, type Api } from '../../test/helpers/cluster-api.ts';

const skip = etcdMissing();
const ls = (dir: string) => (existsSync(dir) ? readdirSync(dir).sort() : []);

describe('deleting a site on a farm on etcd', { skip, timeout: 120_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'corral-cluster-delete-'));
  let etcd: EtcdCluster;
  const controllers: ControllerNode[] = [];
  const engines = new Map<string, EngineNode>();
  let admin: Api;
  let joinToken = '';
  const live = () => controllers.map((c) => c.apiUrl);
  const startEngine = async (id: string) =>
    engines.set(id, await startEngineNode({ join: live().join(','), token: joinToken, id, dir: join(root, id), runtime: 'process', leaseTtlSeconds: 2, log: silentLogger }));

  // A peer's copy arrives before the release record naming it: the grace keeps it meanwhile
  // (with none, a collector pass of c2 in between would take it, as a loaded machine showed)
  const BLOB_GRACE_MS = 3_000;

  before(async () => {
    etcd = await startEtcdCluster({ members: 1 });
    const store = { endpoints: etcd.endpoints, namespace: '/farm' };
    for (const id of ['c1', 'c2']) {
      const adminTokenFile = controllers[0]?.tokenFile; // the first controller's admin token
      controllers.push(await startControllerNode({ store, id, dir: join(root, id), apiPort: 0, host: '127.0.0.1', log: silentLogger, drainDelayMs: 200, blobGraceMs: BLOB_GRACE_MS, ...(adminTokenFile ? { adminTokenFile } : {}) }));
    }
    admin = apiOf(live, controllers[0]!.adminToken);
    joinToken = (await admin.call<{ token: string }>('POST', '/v1/join-tokens', { name: 'test' })).json.token;
    for (const id of ['e1', 'e2']) await startEngine(id);
  });

  after(async () => {
    for (const e of engines.values()) await e.close().catch(() => {});
    for (const c of controllers) await c.close().catch(() => {});
    await etcd?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('a running engine cleans up after the delete, one that was down when it comes back', async () => {
    assert.equal((await admin.call('POST', '/v1/customers', { name: 'acme' })).status, 201);
    // pooled: false: the site's own VSs, whose data folders are keyed by the site id (a pool
    // keeps its sites' releases in the pool's folder, src/engine/pool-dir.ts)
    const created = await admin.call<{ site: { id: string } }>('POST', '/v1/sites', { name: 'www', customer: 'acme', domains: ['www.acme.test'], kind: 'static', replicas: 2, pooled: false });
    assert.equal(created.status, 201);
    const id = created.json.site.id;
    const up = await uploadStaticExample(controllers[0]!.apiUrl, controllers[0]!.adminToken, 'www');
    assert.equal(up.status, 201, up.body);
    const sha = (JSON.parse(up.body) as { release: { sha256: string } }).release.sha256;
    await waitFor(async () => (await siteReplicas(admin, 'www')).ready === 2, { what: '2 ready replicas', timeoutMs: 20_000 });
    assert.deepEqual(new Set((await siteReplicas(admin, 'www')).readyOn), new Set(['e1', 'e2']), 'one on each engine');
    for (const e of ['e1', 'e2']) {
      assert.deepEqual(ls(join(root, e, 'data')), [id], `${e}: the data folder is keyed by the site id`);
      assert.deepEqual(ls(join(root, e, 'releases')), [sha]);
      assert.deepEqual(ls(join(root, e, 'blobs')), [], `${e}: the fetched tarball is dropped once unpacked`);
    }
    for (const c of ['c1', 'c2']) assert.deepEqual(ls(join(root, c, 'blobs', 'sha256')), [sha], `${c} holds a copy`);

    // e2 goes down (its VS stops with it, its files stay), then the site is deleted
    await engines.get('e2')!.close();
    engines.delete('e2');
    assert.equal((await admin.call('DELETE', '/v1/sites/www')).status, 204);

    const gone = (e: string) => ls(join(root, e, 'data')).length === 0 && ls(join(root, e, 'releases')).length === 0 && ls(join(root, e, 'logs')).length === 0;
    await waitFor(() => gone('e1'), { what: 'e1 swept after the delete', timeoutMs: 20_000 });
    await waitFor(() => ['c1', 'c2'].every((c) => ls(join(root, c, 'blobs', 'sha256')).length === 0), { what: 'both controllers collected the blob', timeoutMs: BLOB_GRACE_MS + 15_000 });
    assert.deepEqual(ls(join(root, 'e2', 'data')), [id], 'e2, down, still has it');

    await startEngine('e2');
    await waitFor(() => gone('e2'), { what: 'e2 swept when it came back', timeoutMs: 20_000 });
  });
});
