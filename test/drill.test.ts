// `corral drill` on a farm of three hosts (network namespaces; every role a real
// process): the drill runs its four scenarios against a site with 2 replicas while this
// test watches on its own — its own GETs through the router, the store's drill records,
// engine registrations, the leader key and the site's replicas every 50 ms — and its
// report must match: the engines it names are the ones whose registrations vanished, the
// controller it names took over, the VS it killed restarted, its times to full capacity
// agree with the test's within a second, and no request failed on either side. Also: a
// degraded farm is refused, and so is a customer's token.

import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '../src/lib/wait.ts';
import { keys, type DrillFault } from '../src/model/index.ts';

interface LeaderRecord {
  id: string;
}
import { etcdMissing } from '../src/store/etcd-testing.ts';
import type { Watcher } from '../src/store/index.ts';
import { siteReplicas, type SiteReplicas } from './helpers/cluster-api.ts';
import { ok, REPO } from './helpers/farm-process.ts';
import { startHostsFarm, type HostsFarm } from './helpers/hosts-farm.ts';
import { requestLoop } from './helpers/http.ts';
import { netnsMissing } from './helpers/netns.ts';

const skip = netnsMissing() || etcdMissing();
const HOST = 'www.drill.test';

interface Report {
  site: string;
  routers: string[];
  scenarios: Array<{ scenario: string; target: string; requests: number; failed: number; failures: Record<string, number>; slowestMs: number; recoveredMs?: number; note: string }>;
}

describe('corral drill on three hosts', { skip, timeout: 300_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'corral-drill-'));
  let farm: HostsFarm;
  let customer = '';

  before(async () => {
    farm = await startHostsFarm(root);
    customer = /token: (\S+)/.exec((await ok(farm.cli(['customer', 'create', 'acme']))).stdout)![1]!;
    // --no-pooled: the drill acts on the site's own VSs (kill-vs kills one, the engine faults
    // have them replaced), not on a pool VS serving other sites too
    await ok(farm.cli(['site', 'create', 'www', '--domain', HOST, '--kind', 'static', '--replicas', '2', '--no-pooled'], customer));
    await ok(farm.cli(['deploy', join(REPO, 'examples', 'static-site'), '--site', 'www'], customer));
    await waitFor(async () => new Set((await siteReplicas(farm.admin, 'www')).readyOn).size === 2, { what: '2 ready replicas on 2 hosts', timeoutMs: 60_000 });
  });

  after(async () => {
    await farm?.close();
  });

  it('refuses a customer token, unknown scenarios, and a site served from one engine', async () => {
    const asCustomer = await farm.cli(['drill', '--site', 'www', '--yes'], customer);
    assert.equal(asCustomer.code, 1);
    assert.match(asCustomer.stderr, /admin|not allowed|forbidden/i);
    const unknown = await farm.cli(['drill', '--site', 'www', '--yes', '--scenarios', 'kill-vs,meteor']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /--scenarios: unknown meteor/);
    await ok(farm.cli(['site', 'create', 'one', '--domain', 'one.drill.test', '--kind', 'static', '--replicas', '1'], customer));
    await ok(farm.cli(['deploy', join(REPO, 'examples', 'static-site'), '--site', 'one'], customer));
    const single = await farm.cli(['drill', '--site', 'one', '--yes', '--scenarios', 'crash-engine']);
    assert.equal(single.code, 1);
    assert.match(single.stderr, /not ready for a drill[\s\S]*need its ready replicas on at least 2 engines/);
    await ok(farm.cli(['site', 'delete', 'one'], customer));
  });

  it('runs kill-vs, crash-engine, kill-leader and partition-engine; its report matches what the test saw', async () => {
    // the test's own eyes
    const faults: Array<{ at: number; key: string; fault: DrillFault }> = [];
    const engineGone: Array<{ at: number; engine: string }> = [];
    const leaders: Array<{ at: number; id: string }> = [];
    const restarts = new Map<string, number>();
    const watchers: Watcher[] = [
      await farm.store.watch(keys.drills, (evs) => { for (const e of evs) if (e.type === 'put') faults.push({ at: Date.now(), key: e.kv.key, fault: JSON.parse(e.kv.value) as DrillFault }); }),
      await farm.store.watch(keys.engines, (evs) => { for (const e of evs) if (e.type === 'delete') engineGone.push({ at: Date.now(), engine: e.kv.key.slice(keys.engines.length) }); }),
      await farm.store.watch(keys.leader, (evs) => { for (const e of evs) if (e.type === 'put') leaders.push({ at: Date.now(), id: (JSON.parse(e.kv.value) as LeaderRecord).id }); }),
      await farm.store.watch(keys.vsStatuses, (evs) => {
        for (const e of evs) if (e.type === 'put') {
          const s = JSON.parse(e.kv.value) as { vs: string; restarts: number };
          restarts.set(s.vs, Math.max(restarts.get(s.vs) ?? 0, s.restarts));
        }
      }),
    ];
    const timeline: Array<{ at: number; r: SiteReplicas }> = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const r = await siteReplicas(farm.admin, 'www').catch(() => undefined);
        if (r) timeline.push({ at: Date.now(), r });
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    const loop = requestLoop(farm.routerUrl, HOST, { concurrency: 2 });
    const leaderBefore = (JSON.parse((await farm.store.get(keys.leader))!.value) as LeaderRecord).id;

    // faults outlast the leader's 6 s lease: the frozen leader cannot win the election again
    const run = await farm.cli(['drill', '--site', 'www', '--fault-seconds', '8', '--timeout', '60', '--json', '--yes']);
    const ours = await loop.stop();
    sampling = false;
    await sampler;
    for (const w of watchers) w.close();
    assert.equal(run.code, 0, `${run.stderr}\n${farm.dump()}`);
    const report = JSON.parse(run.stdout) as Report;
    console.log(`# drill report:\n${report.scenarios.map((s) => `#   ${s.scenario} ${s.target}: ${s.requests} requests, ${s.failed} failed, slowest ${s.slowestMs} ms, full capacity in ${s.recoveredMs} ms (${s.note})`).join('\n')}`);

    assert.deepEqual(report.scenarios.map((s) => s.scenario), ['kill-vs', 'crash-engine', 'kill-leader', 'partition-engine']);
    assert.deepEqual(report.routers, [farm.routerUrl]);
    for (const s of report.scenarios) {
      assert.ok(s.requests > 20, `${s.scenario}: requests were sent (${s.requests})`);
      assert.equal(s.failed, 0, `${s.scenario}: ${JSON.stringify(s.failures)}`);
      assert.ok(s.recoveredMs !== undefined, `${s.scenario} recovered`);
    }
    assert.deepEqual(ours.failed.slice(0, 5), [], 'the test saw no failed request either');
    assert.equal(faults.length, 4, 'one fault record per scenario');

    const [killVs, crash, leader, partition] = report.scenarios as [Report['scenarios'][number], Report['scenarios'][number], Report['scenarios'][number], Report['scenarios'][number]];
    // kill-vs: that VS is the one that restarted
    assert.equal(faults[0]!.fault.vs, killVs.target);
    assert.ok((restarts.get(killVs.target) ?? 0) >= 1, `${killVs.target} restarted`);
    // crash-engine and partition-engine: the engines named are the ones whose registrations vanished
    for (const [i, s] of [[1, crash], [3, partition]] as const) {
      assert.equal(faults[i]!.key, keys.drill('engine', s.target));
      const gone = engineGone.find((g) => g.engine === s.target && g.at >= faults[i]!.at);
      assert.ok(gone, `${s.target}'s registration vanished after its ${s.scenario}`);
      // full capacity as the test saw it: 2 ready replicas, none on the engine, from the fault on
      const whole = timeline.find((p) => p.at >= faults[i]!.at && p.r.ready === 2 && !p.r.readyOn.includes(s.target));
      assert.ok(whole, `the test saw ${s.scenario} of ${s.target} healed`);
      const observed = whole.at - faults[i]!.at;
      assert.ok(Math.abs(observed - s.recoveredMs!) < 1000, `${s.scenario}: drill says ${s.recoveredMs} ms, the test saw ${observed} ms`);
    }
    // kill-leader: the controller named led before; the one the note names took over
    assert.equal(leader.target, leaderBefore);
    const next = leaders.find((l) => l.at >= faults[2]!.at);
    assert.ok(next, 'a leader was elected after the freeze');
    assert.match(leader.note, new RegExp(`^${next.id} `));
    assert.notEqual(next.id, leaderBefore, 'the other controller took over');
  });
});
