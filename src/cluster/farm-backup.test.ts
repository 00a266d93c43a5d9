// Farm backups on a farm on etcd: through any controller, which fetches the blobs it lacks
// from its peers; scheduled backups taken by the leader only.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { restoreFarm } from '../controller/index.ts';
import { silentLogger } from '../lib/log.ts';
import { waitFor } from '../lib/wait.ts';
import { etcdMissing, startEtcdCluster, type EtcdCluster } from '../store/etcd-testing.ts';
import { openSqliteStore } from '../store/index.ts';
import { startControllerNode, type ControllerNode } from './index.ts';
import { apiOf, uploadStaticExample } from '../../test/helpers/cluster-api.ts';

const skip = etcdMissing();

describe('farm backups on etcd', { skip, timeout: 120_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'corral-cluster-backup-'));
  let etcd: EtcdCluster;
  const controllers: ControllerNode[] = [];

  before(async () => {
    etcd = await startEtcdCluster({ members: 1 });
    const store = { endpoints: etcd.endpoints, namespace: '/farm' };
    for (const id of ['c1', 'c2']) {
      const adminTokenFile = controllers[0]?.tokenFile;
      controllers.push(await startControllerNode({
        store, id, dir: join(root, id), apiPort: 0, host: '127.0.0.1', log: silentLogger, leaderTtlSeconds: 4,
        backup: { everyMs: 150, keep: 2, dir: join(root, `${id}-backups`) }, ...(adminTokenFile ? { adminTokenFile } : {}),
      }));
    }
  });
  after(async () => {
    for (const c of controllers) await c.close().catch(() => {});
    await etcd?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('a controller missing a blob fetches it from its peer for the backup', async () => {
    const [c1, c2] = controllers as [ControllerNode, ControllerNode];
    const admin = apiOf(() => [c1.apiUrl], c1.adminToken);
    const acme = (await admin.call<{ token: string }>('POST', '/v1/customers', { name: 'acme' })).json.token;
    const customer = apiOf(() => [c1.apiUrl], acme);
    assert.equal((await customer.call('POST', '/v1/sites', { name: 'www', kind: 'static', domains: ['www.acme.test'] })).status, 201);
    const up = await uploadStaticExample(c1.apiUrl, acme, 'www');
    assert.equal(up.status, 201, up.body);
    const sha256 = (JSON.parse(up.body) as { release: { sha256: string } }).release.sha256;
    await rm(join(root, 'c2', 'blobs', 'sha256', sha256)); // c2 lost its copy

    const res = await fetch(`${c2.apiUrl}/v1/backup`, { headers: { authorization: `Bearer ${c1.adminToken}` } });
    assert.equal(res.status, 200);
    const archive = join(root, 'through-c2.tar.gz');
    await writeFile(archive, Buffer.from(await res.arrayBuffer()));
    const dir = join(root, 'restored');
    const result = await restoreFarm(archive, dir, { openStore: (f) => openSqliteStore(f) });
    assert.equal(result.manifest.store.kind, 'etcd');
    assert.equal(result.blobs, 1);
    assert.deepEqual(await readdir(join(dir, 'blobs', 'sha256')), [sha256]);
  });

  it('scheduled backups are taken by the leader only', async () => {
    const leader = await waitFor(() => controllers.find((c) => c.isLeader), { timeoutMs: 15_000, what: 'a leader' });
    const leaderDir = join(root, `${leader.id}-backups`);
    const followerDir = join(root, `${controllers.find((c) => c !== leader)!.id}-backups`);
    const archives = async (dir: string) => (await readdir(dir).catch(() => [])).filter((f) => f.endsWith('.tar.gz') && !f.startsWith('.')).sort();
    await waitFor(async () => (await archives(leaderDir)).length >= 2, { timeoutMs: 20_000, what: "the leader's backups" });
    // a new archive is renamed into place before the older ones are pruned: one more than kept, at most
    assert.ok((await archives(leaderDir)).length <= 3, `at most the newest two and the one just written: ${(await archives(leaderDir)).join(' ')}`);
    assert.deepEqual(await archives(followerDir), [], 'the follower takes none');
    // the leader stops (its schedule's pass under way finishes, prune included): the newest two are what is left
    const seen = await archives(leaderDir);
    await leader.close();
    const left = await archives(leaderDir);
    assert.deepEqual(left, [...new Set([...seen, ...left])].sort().slice(-2), `the newest two kept (seen before the stop: ${seen.join(' ')})`);
  });
});
