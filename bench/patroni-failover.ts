// Database failover under Patroni: primary lost → writes accepted again. A farm on a
// 1-member etcd (loopback), one controller, two engines each running a Patroni member
// (Postgres as the postgres user; needs root, patroni and postgresql). Each round runs a
// write loop through the standby engine's forwarder, kills the primary's engine like a
// crash (SIGKILL to Patroni and Postgres, the leader key left to expire), times the kill
// → the first write acknowledged again, checks that every acknowledged write is on the
// new primary, then starts the engine again and waits until it is the synchronous
// standby. Once with the farm's timing (ttl 6 s, loop_wait 1 s, retry_timeout 2 s) and
// once with Patroni's documented defaults (30 / 10 / 10).
// Run: node --import tsx bench/patroni-failover.ts   (env ROUNDS=5, TIMING=farm|defaults|both,
// or TIMING=ttl/loop_wait/retry_timeout in seconds, e.g. 4/1/1, to try other settings)

import { dbClusterMissing, query, startDbFarm, startWriteLoop, syncState, waitForReplicatedCluster } from '../src/cluster/db-testing.ts';
import { FARM_PATRONI_TIMING, type PatroniTiming } from '../src/cluster/index.ts';
import { waitFor } from '../src/lib/wait.ts';

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const WHICH = process.env.TIMING ?? 'both';
const custom = /^(\d+)\/(\d+)\/(\d+)$/.exec(WHICH);
const timings: [string, PatroniTiming][] = custom
  ? [['custom', { ttl: Number(custom[1]), loopWait: Number(custom[2]), retryTimeout: Number(custom[3]) }]]
  : ([
      ['farm', FARM_PATRONI_TIMING],
      ['Patroni defaults', { ttl: 30, loopWait: 10, retryTimeout: 10 }],
    ].filter(([name]) => WHICH === 'both' || (WHICH === 'farm') === (name === 'farm')) as [string, PatroniTiming][]);

const missing = dbClusterMissing();
if (missing) {
  console.error(`patroni-failover: ${missing}`);
  process.exit(1);
}

const summary: string[] = [];
for (const [name, timing] of timings) {
  const farm = await startDbFarm({ timing });
  try {
    await waitForReplicatedCluster(farm);
    await query(farm.controller.db.adminUrl(), 'CREATE TABLE writes (id integer PRIMARY KEY)');
    const times: number[] = [];
    let nextId = 1;
    for (let round = 0; round < ROUNDS; round++) {
      const victim = farm.primaryEngine()!;
      const survivor = farm.engines.find((e) => e !== victim)!;
      const fwd = survivor.db!.forwarder()!;
      const through = new URL(farm.controller.db.adminUrl());
      through.host = `${fwd.host}:${fwd.port}`;
      const loop = startWriteLoop(through.href, { firstId: nextId });
      await waitFor(() => loop.acked.length >= 20, { what: 'writes through the forwarder', timeoutMs: 60_000 });
      const killedAt = Date.now();
      await victim.destroy();
      const backAt = await waitFor(() => loop.firstAckAfter(killedAt), { what: 'a write accepted again', timeoutMs: 180_000, intervalMs: 20 });
      await waitFor(() => loop.acked.some((a) => a.at > backAt), { what: 'one more write' });
      await loop.stop();
      nextId += 1_000_000;
      const present = new Set((await query(farm.controller.db.adminUrl(), 'SELECT id FROM writes')).rows.map((r) => r.id as number));
      const lost = loop.acked.filter((a) => !present.has(a.id)).length;
      times.push(backAt - killedAt);
      console.log(`${name}, round ${round + 1}: primary ${victim.id} killed → writes accepted in ${backAt - killedAt} ms; ${loop.acked.length} writes acknowledged, ${lost} lost`);
      if (lost > 0) process.exitCode = 1;
      await farm.restartEngine(victim.id);
      await waitFor(async () => (await syncState(farm))?.sync_standby === victim.id, { what: `${victim.id} synchronous standby again`, timeoutMs: 300_000, intervalMs: 200 });
    }
    const sorted = [...times].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)]!;
    summary.push(`${name} (ttl ${timing.ttl} s, loop_wait ${timing.loopWait} s, retry_timeout ${timing.retryTimeout} s): median ${median} ms, min ${sorted[0]} ms, max ${sorted.at(-1)} ms over ${times.length} rounds`);
  } finally {
    await farm.close();
  }
}
console.log(`\nPatroni failover, primary killed → writes accepted again:\n${summary.map((s) => `  ${s}`).join('\n')}`);
