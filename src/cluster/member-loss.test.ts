// Losing one etcd member of three is a non-event for the farm: two controllers, four
// engines and a router in one process on a real 3-member etcd, with GETs looping through
// the router. One member (etcd's raft leader in one case, a follower in the other) is
// killed for 30 s, then started again. Throughout, corral_leader is polled on both
// controllers' /metrics: never two leaders, never none; a scale issued while the member
// is down (at once, and 30 s in) and after it is back is applied within 3 s; no engine or
// controller registration is lost (their keys would be deleted with an expired lease);
// an engine killed meanwhile has its replicas ready elsewhere within the failover goal;
// not one request through the router fails.

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
import { startControllerNode, startEngineNode, startRouterNode, type ControllerNode, type EngineNode, type RouterNode } from './index.ts';
import { apiOf, replacedOff, siteReplicas, uploadStaticExample, type Api } from '../../test/helpers/cluster-api.ts';
import { runCli } from '../../test/helpers/farm-process.ts';
import { get, requestLoop } from '../../test/helpers/http.ts';

const skip = etcdMissing();
const DOWN_MS = 30_000;
const APPLIED_WITHIN_MS = 3000;
/**
 * Engine loss → its replicas ready elsewhere. The goal is 3 s on a quiet machine, measured by
 * bench/failover.ts (≈ 2 s to see the lease expire, then a VS start; here 3.0–3.7 s with the
 * suite running beside it). A replacement on an engine that must first fetch and unpack the
 * release is CPU-bound and took up to 10.5 s on a machine loaded to 10 on 2 cores, hence the
 * slack: this test is about the etcd member's loss not stopping failover, the bench about its speed.
 */
const REPLACED_WITHIN_MS = 12_000;
const HOST = 'www.acme.test';

describe('an etcd member dies for 30 s: the farm does not notice', { skip, timeout: 300_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'corral-member-loss-'));
  let etcd: EtcdCluster;
  let observer: Store;
  const controllers: ControllerNode[] = [];
  const engines: EngineNode[] = [];
  let router: RouterNode;
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
    const join1 = controllers.map((c) => c.apiUrl).join(',');
    for (const id of ['e1', 'e2', 'e3', 'e4']) {
      engines.push(await startEngineNode({ join: join1, token: joinToken, id, dir: join(root, id), log: silentLogger })); // default lease
    }
    router = await startRouterNode({ join: join1, token: joinToken, id: 'r1', httpPort: 0, host: '127.0.0.1', log: silentLogger });
    assert.equal((await admin.call('POST', '/v1/customers', { name: 'acme' })).status, 201);
    // pooled: false: scaled up past the engines left (a pooled site holds one replica per
    // engine), its own VSs counted as assigned and replaced
    assert.equal((await admin.call('POST', '/v1/sites', { name: 'www', customer: 'acme', domains: [HOST], kind: 'static', replicas: 1, pooled: false })).status, 201);
    const up = await uploadStaticExample(controllers[0]!.apiUrl, controllers[0]!.adminToken, 'www');
    assert.equal(up.status, 201, up.body);
    await waitFor(async () => (await siteReplicas(admin, 'www')).ready === 1 && (await get(router.url, HOST)).status === 200, { what: 'the site served', timeoutMs: 20_000 });
    // Registrations hang on leases: a lost lease shows as a delete of the key.
    observer = await openEtcdStore(etcd.endpoints, { namespace: '/farm' });
    const onDelete = (events: WatchEvent[]) => lost.push(...events.filter((e) => e.type === 'delete').map((e) => e.kv.key));
    await observer.watch(keys.engines, onDelete);
    await observer.watch(keys.controllers, onDelete);
  });

  after(async () => {
    await router?.close().catch(() => {});
    for (const e of engines) await e.close().catch(() => {});
    for (const c of controllers) await c.close().catch(() => {});
    await observer?.close();
    await etcd?.close();
    rmSync(root, { recursive: true, force: true });
  });

  for (const which of ['raft leader', 'follower'] as const) {
    it(`the ${which} member dies for 30 s under load: one controller leads throughout, scales applied within 3 s, a killed engine replaced, 0 failed requests`, async (t) => {
      const raftLeader = await etcd.leader();
      assert.ok(raftLeader, 'etcd has a leader');
      const member = which === 'raft leader' ? raftLeader : (etcd.members.find((m) => m.running && m !== raftLeader) as EtcdMember);
      let replicas = 2;
      assert.equal((await admin.call('POST', '/v1/sites/www/scale', { replicas })).status, 200);
      await waitFor(async () => (await siteReplicas(admin, 'www')).ready === replicas && (await siteReplicas(admin, 'www')).all.length === replicas, { what: '2 ready replicas', timeoutMs: 20_000 });
      const sampler = sampleLeaders(controllers);
      const loop = requestLoop(router.url, HOST, { concurrency: 4 });
      t.after(async () => { await loop.stop(); await sampler.stop(); }); // also when an assertion fails
      await waitFor(() => loop.result.total > 50, { what: 'traffic through the router' });
      const lostBefore = lost.length;

      await member.stop('SIGKILL');
      const down = Date.now();
      try {
        await waitFor(async () => (await etcd.leader()) !== undefined, { what: 'etcd to have a leader again', timeoutMs: 10_000 });
        const applied = await scaleAndTime(admin, ++replicas);
        console.log(`# ${which} down: etcd led again after ${Date.now() - down} ms; scale to ${replicas} applied in ${applied} ms`);
        assert.ok(applied <= APPLIED_WITHIN_MS, `scale applied in ${applied} ms`);
        await assertOneLeaderEverywhere(controllers);

        // An engine dies too (its VSs killed at once, its lease left to run out): its replicas
        // are ready elsewhere within the failover goal, on the two remaining members.
        await waitFor(async () => (await siteReplicas(admin, 'www')).ready === replicas, { what: `${replicas} ready`, timeoutMs: 20_000 });
        const victimId = (await siteReplicas(admin, 'www')).readyOn[0]!;
        const victim = engines.splice(engines.findIndex((e) => e.id === victimId), 1)[0]!;
        const died = Date.now();
        await victim.destroy();
        killed.add(keys.engine(victim.id));
        await replacedOff(admin, 'www', victim.id, replicas, { timeoutMs: 20_000, intervalMs: 20 });
        const replacedMs = Date.now() - died;
        console.log(`# engine ${victim.id} died with the ${which} member down: its replicas ready elsewhere in ${replacedMs} ms`);
        assert.ok(replacedMs <= REPLACED_WITHIN_MS, `replaced in ${replacedMs} ms`);

        // The member stays down for the rest of the 30 s (the fault is the point), then comes back.
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, down + DOWN_MS - Date.now())));
        const late = await scaleAndTime(admin, ++replicas);
        console.log(`# ${which} down ${Math.round((Date.now() - down) / 1000)} s: scale to ${replicas} applied in ${late} ms`);
        assert.ok(late <= APPLIED_WITHIN_MS, `scale applied in ${late} ms, ${DOWN_MS / 1000} s into the loss`);
      } finally {
        // whatever failed above, the member comes back: the next case must not start with one member down
        if (!member.running) await member.start();
      }
      const back = await scaleAndTime(admin, ++replicas);
      assert.ok(back <= APPLIED_WITHIN_MS, `scale applied in ${back} ms after the member came back`);
      await assertOneLeaderEverywhere(controllers);

      const result = await loop.stop();
      const samples = await sampler.stop();
      const none = samples.filter((n) => n === 0).length;
      const two = samples.filter((n) => n > 1).length;
      console.log(`# ${which}: ${result.total} requests through the router, ${result.failed.length} failed; ${samples.length} polls of corral_leader, ${none} with none, ${two} with two or more`);
      assert.deepEqual(result.failed.slice(0, 5), [], 'no request failed');
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

/**
 * How many controllers say corral_leader 1 on /metrics, polled on all of them every 50 ms
 * until stop(). A poll one of them does not answer within 2 s (a loaded machine) says
 * nothing and is left out.
 */
function sampleLeaders(controllers: ControllerNode[]): { stop(): Promise<number[]> } {
  const samples: number[] = [];
  let running = true;
  const polling = (async () => {
    while (running) {
      const gauges = await Promise.all(controllers.map(leaderGauge));
      if (gauges.every((g) => g !== undefined)) samples.push(gauges.filter((g) => g === 1).length);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  return {
    async stop() {
      running = false;
      await polling;
      return samples;
    },
  };
}

/** corral_leader on c's /metrics; undefined when it did not answer within 2 s. */
async function leaderGauge(c: ControllerNode): Promise<number | undefined> {
  const res = await fetch(`${c.apiUrl}/metrics`, { headers: { authorization: `Bearer ${c.adminToken}` }, signal: AbortSignal.timeout(2000) }).catch(() => undefined);
  const line = (await res?.text().catch(() => undefined))?.split('\n').find((l) => l.startsWith('corral_leader '));
  return line === undefined ? undefined : Number(line.slice('corral_leader '.length));
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
  const gauges = await Promise.all(controllers.map(leaderGauge));
  assert.deepEqual(gauges.slice().sort(), [0, 1], `corral_leader on the controllers: ${gauges.join(', ')}`);
  const leader = controllers[gauges.indexOf(1)]!;
  assert.equal(leader.isLeader, true);
  const status = await fetch(`${leader.apiUrl}/v1/status`, { headers: { authorization: `Bearer ${leader.adminToken}` } });
  assert.equal(((await status.json()) as { leader?: { id: string } }).leader?.id, leader.id);
}
