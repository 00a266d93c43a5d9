// Losing one etcd member of three is a non-event for the farm: two controllers and two
// engines in one process on a real 3-member etcd; one member (etcd's raft leader in one
// case, a follower in the other) is killed for 10 s, then started again. Throughout,
// the controllers' leader state is sampled: never two leaders, never none; a scale
// issued while the member is down is applied within 3 s; no engine or controller
// registration is lost (their keys would be deleted with an expired lease), and an engine
// killed meanwhile has its replicas placed elsewhere within seconds. Each check
// of the leader also reads corral_leader on both controllers' /metrics and GET /v1/status.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '../lib/wait.ts';
import { silentLogger } from '../lib/log.ts';
import { keys } from '../model/index.ts';
import { openEtcdStore } from '../store/etcd-store.ts';
import { etcdMissing, startEtcdCluster, type EtcdCluster, type EtcdMember } from '../store/etcd-testing.ts';
import type { Store, WatchEvent } from '../store/types.ts';
import { startControllerNode, startEngineNode, type ControllerNode, type EngineNode } from './index.ts';
import { apiOf, siteReplicas, uploadStaticExample, type Api } from '../../test/helpers/cluster-api.ts';
import { runCli } from '../../test/helpers/farm-process.ts';

const skip = etcdMissing();
const DOWN_MS = 10_000;
const APPLIED_WITHIN_MS = 3000;

describe('an etcd member dies for 10 s: the farm does not notice', { skip, timeout: 120_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'corral-member-loss-'));
  let etcd: EtcdCluster;
  let observer: Store;
  const controllers: ControllerNode[] = [];
  const engines: EngineNode[] = [];
  let admin: Api;
  const lost: string[] = [];
  const killed = new Set<string>(); // registrations of engines the test killed

  before(async () => {
    etcd = await startEtcdCluster({ members: 3 });
    const store = { endpoints: etcd.endpoints, namespace: '/farm' };
    for (const id of ['c1', 'c2']) {
      const adminTokenFile = controllers[0]?.tokenFile; // the first controller's admin token
      controllers.push(await startControllerNode({ store, id, dir: join(root, id), apiPort: 0, host: '127.0.0.1', log: silentLogger, ...(adminTokenFile ? { adminTokenFile } : {}) }));
    }
    admin = apiOf(() => controllers.map((c) => c.apiUrl), controllers[0]!.adminToken);
    const joinToken = (await admin.call<{ token: string }>('POST', '/v1/join-tokens', { name: 'test' })).json.token;
    for (const id of ['e1', 'e2', 'e3']) {
      engines.push(await startEngineNode({ join: controllers[0]!.apiUrl, token: joinToken, id, dir: join(root, id), leaseTtlSeconds: 2, log: silentLogger }));
    }
    assert.equal((await admin.call('POST', '/v1/customers', { name: 'acme' })).status, 201);
    assert.equal((await admin.call('POST', '/v1/sites', { name: 'www', customer: 'acme', domains: ['www.acme.test'], kind: 'static', replicas: 1 })).status, 201);
    const up = await uploadStaticExample(controllers[0]!.apiUrl, controllers[0]!.adminToken, 'www');
    assert.equal(up.status, 201, up.body);
    await waitFor(async () => (await siteReplicas(admin, 'www')).ready === 1, { what: 'the site ready', timeoutMs: 20_000 });
    // Registrations hang on leases: a lost lease shows as a delete of the key.
    observer = await openEtcdStore(etcd.endpoints, { namespace: '/farm' });
    const onDelete = (events: WatchEvent[]) => lost.push(...events.filter((e) => e.type === 'delete').map((e) => e.kv.key));
    await observer.watch(keys.engines, onDelete);
    await observer.watch(keys.controllers, onDelete);
  });

  after(async () => {
    for (const e of engines) await e.close().catch(() => {});
    for (const c of controllers) await c.close().catch(() => {});
    await observer?.close();
    await etcd?.close();
    rmSync(root, { recursive: true, force: true });
  });

  for (const which of ['raft leader', 'follower'] as const) {
    it(`the ${which} member dies: one controller leads throughout, a scale is applied within 3 s, no lease lost`, async () => {
      const raftLeader = await etcd.leader();
      assert.ok(raftLeader, 'etcd has a leader');
      const member = which === 'raft leader' ? raftLeader : (etcd.members.find((m) => m.running && m !== raftLeader) as EtcdMember);
      const sampler = sampleLeaders(controllers);
      const lostBefore = lost.length;
      let replicas = 1;
      assert.equal((await admin.call('POST', '/v1/sites/www/scale', { replicas })).status, 200);
      await waitFor(async () => (await siteReplicas(admin, 'www')).all.length === replicas, { what: 'one replica', timeoutMs: 20_000 });

      await member.stop('SIGKILL');
      const down = Date.now();
      await waitFor(async () => (await etcd.leader()) !== undefined, { what: 'etcd to have a leader again', timeoutMs: 10_000 });
      const applied = await scaleAndTime(admin, ++replicas);
      console.log(`# ${which} down: etcd led again after ${Date.now() - down} ms; scale to ${replicas} applied in ${applied} ms`);
      assert.ok(applied <= APPLIED_WITHIN_MS, `scale applied in ${applied} ms`);
      await assertOneLeaderEverywhere(controllers);
      // The member stays down for a while (the fault is the point), then comes back.
      await new Promise((resolve) => setTimeout(resolve, down + DOWN_MS - Date.now()));
      const late = await scaleAndTime(admin, ++replicas);
      assert.ok(late <= APPLIED_WITHIN_MS, `scale applied in ${late} ms, ${DOWN_MS / 1000} s into the loss`);
      if (which === 'follower') {
        // An engine dies too: its replicas are placed elsewhere once its 2 s lease runs out.
        const victim = engines.pop()!;
        const died = Date.now();
        await victim.destroy();
        const isOff = async () => {
          const all = (await siteReplicas(admin, 'www')).all;
          return all.length === replicas && all.every((v) => v.engine !== victim.id);
        };
        await waitFor(isOff, { what: `the replicas off ${victim.id}`, timeoutMs: 20_000, intervalMs: 50 });
        const movedMs = Date.now() - died;
        console.log(`# engine ${victim.id} died with the member down: replicas placed elsewhere in ${movedMs} ms`);
        assert.ok(movedMs < 8000, `moved in ${movedMs} ms`);
        killed.add(keys.engine(victim.id));
      }
      await member.start();
      const back = await scaleAndTime(admin, ++replicas);
      assert.ok(back <= APPLIED_WITHIN_MS, `scale applied in ${back} ms after the member came back`);
      await assertOneLeaderEverywhere(controllers);

      const samples = sampler.stop();
      const none = samples.filter((n) => n === 0).length;
      const two = samples.filter((n) => n > 1).length;
      console.log(`# ${which}: ${samples.length} samples of the leader count, ${none} with none, ${two} with two or more`);
      assert.equal(two, 0, 'never two leaders');
      assert.equal(none, 0, 'never no leader');
      assert.deepEqual(lost.slice(lostBefore).filter((k) => !killed.has(k)), [], 'no registration lost its lease');
    });
  }

  it('corral status names the leader', async () => {
    const leader = controllers.find((c) => c.isLeader)!;
    const follower = controllers.find((c) => c !== leader)!;
    const r = await runCli(['status'], { env: { CORRAL_API: follower.apiUrl, CORRAL_TOKEN: follower.adminToken } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^leader: ${leader.id} \\(${leader.apiUrl.replace(/\./g, '\\.')}\\) since \\d{4}-`, 'm'));
  });
});

/** The number of controllers that think they lead, every 20 ms until stop(). */
function sampleLeaders(controllers: ControllerNode[]): { stop(): number[] } {
  const samples: number[] = [];
  const timer = setInterval(() => samples.push(controllers.filter((c) => c.isLeader).length), 20);
  return {
    stop() {
      clearInterval(timer);
      return samples;
    },
  };
}

/** Scale www to replicas; ms until the leader has assigned that many virtual servers. */
async function scaleAndTime(admin: Api, replicas: number): Promise<number> {
  const sent = Date.now();
  const res = await admin.call('POST', '/v1/sites/www/scale', { replicas });
  assert.equal(res.status, 200, JSON.stringify(res.json));
  await waitFor(async () => (await siteReplicas(admin, 'www')).all.length === replicas, { what: `${replicas} replicas assigned`, timeoutMs: 20_000, intervalMs: 20 });
  return Date.now() - sent;
}

/** Exactly one controller says corral_leader 1 on /metrics, and GET /v1/status names it. */
async function assertOneLeaderEverywhere(controllers: ControllerNode[]): Promise<void> {
  const gauges = await Promise.all(
    controllers.map(async (c) => {
      const res = await fetch(`${c.apiUrl}/metrics`, { headers: { authorization: `Bearer ${c.adminToken}` } });
      const line = (await res.text()).split('\n').find((l) => l.startsWith('corral_leader '));
      return Number(line?.slice('corral_leader '.length));
    }),
  );
  assert.deepEqual(gauges.slice().sort(), [0, 1], `corral_leader on the controllers: ${gauges.join(', ')}`);
  const leader = controllers[gauges.indexOf(1)]!;
  assert.equal(leader.isLeader, true);
  const status = await fetch(`${leader.apiUrl}/v1/status`, { headers: { authorization: `Bearer ${leader.adminToken}` } });
  assert.equal(((await status.json()) as { leader?: { id: string } }).leader?.id, leader.id);
}
