// Leader election on both stores: one leader at a time; when it dies (lease left to
// expire) or loses the store, another contender leads within the lease TTL. The state
// machine's hard moves on a store that can be cut off: a lease in doubt is given up and
// a fresh one campaigns; a leader that cannot act releases the key.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it, type TestContext } from 'node:test';
import { randomUUID } from 'node:crypto';
import { openSqliteStore, StoreUnavailableError } from '../store/index.ts';
import { openEtcdStore } from '../store/etcd-store.ts';
import { etcdMissing, startEtcdCluster } from '../store/etcd-testing.ts';
import type { Store } from '../store/types.ts';
import { waitFor } from '../lib/wait.ts';
import { startLeaderElection, type LeaderElection, type LeaderElectionOptions } from './leader.ts';

const dir = mkdtempSync(join(tmpdir(), 'corral-leader-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Contender {
  id: string;
  election: LeaderElection;
  leading: boolean;
  log: string[];
}

async function contend(t: TestContext, store: Store, id: string, ttlSeconds: number, more: Partial<LeaderElectionOptions> = {}): Promise<Contender> {
  const c: Contender = { id, leading: false, log: [], election: undefined as unknown as LeaderElection };
  c.election = await startLeaderElection({
    store, id, ttlSeconds, ...more,
    onElected: async () => {
      c.leading = true;
      c.log.push('elected');
      await more.onElected?.();
    },
    onDemoted: () => {
      c.leading = false;
      c.log.push('demoted');
    },
  });
  t.after(() => c.election.close());
  return c;
}

/** One leader, and every contender agrees with the store about who it is. */
async function assertOneLeader(cs: Contender[]): Promise<Contender> {
  const leaders = cs.filter((c) => c.leading);
  assert.equal(leaders.length, 1, `leaders: ${leaders.map((c) => c.id).join(',')}`);
  const leader = leaders[0] as Contender;
  assert.equal((await leader.election.leader())?.id, leader.id);
  return leader;
}

describe('leader election on SQLite', () => {
  it('elects one; a dead leader is replaced within the TTL; close hands over at once', async (t) => {
    const store = await openSqliteStore(join(dir, 'a.sqlite'), { leaseCheckIntervalMs: 50 });
    t.after(() => store.close());
    const a = await contend(t, store, 'a', 1);
    const b = await contend(t, store, 'b', 1);
    const first = await assertOneLeader([a, b]);
    const other = first === a ? b : a;
    const died = Date.now();
    first.election.abandon();
    await waitFor(() => other.leading, { what: 'the other contender to lead', timeoutMs: 3000 });
    const tookMs = Date.now() - died;
    assert.ok(tookMs < 2000, `took ${tookMs} ms with a 1 s TTL`);
    const c = await contend(t, store, 'c', 1);
    assert.equal(c.leading, false);
    await other.election.close();
    await waitFor(() => c.leading, { what: 'c to lead after the leader closed', timeoutMs: 1000 });
    assert.deepEqual(other.log, ['elected', 'demoted']);
  });
});

/** A real store that can be cut off: while `down`, every call fails as an unreachable etcd's would (watches just go quiet). */
function cuttable(inner: Store): Store & { down: boolean } {
  const s = { down: false };
  const guard = <A extends unknown[], R>(fn: (...args: A) => Promise<R>) => async (...args: A): Promise<R> => {
    if (s.down) throw new StoreUnavailableError('cut off by the test');
    return fn(...args);
  };
  return Object.assign(s, {
    kind: inner.kind,
    get: guard(inner.get.bind(inner)), range: guard(inner.range.bind(inner)), put: guard(inner.put.bind(inner)),
    delete: guard(inner.delete.bind(inner)), deletePrefix: guard(inner.deletePrefix.bind(inner)), txn: guard(inner.txn.bind(inner)),
    revision: guard(inner.revision.bind(inner)), grantLease: guard(inner.grantLease.bind(inner)), keepAlive: guard(inner.keepAlive.bind(inner)),
    revokeLease: guard(inner.revokeLease.bind(inner)), leaseTtl: guard(inner.leaseTtl.bind(inner)),
    watch: inner.watch.bind(inner), close: async () => {},
  });
}

describe('the leader state machine', () => {
  it('lease in doubt: gives up before the lease can expire, then campaigns again with a fresh lease', async (t) => {
    const store = await openSqliteStore(join(dir, 'doubt.sqlite'), { leaseCheckIntervalMs: 50 });
    t.after(() => store.close());
    const cut = cuttable(store);
    const ttl = 2;
    const a = await contend(t, cut, 'a', ttl);
    assert.equal(a.leading, true);
    const first = (await store.get('/corral/leader'))!.lease;
    const renewed = Date.now();
    cut.down = true;
    await waitFor(() => !a.leading, { what: 'a to give up', timeoutMs: ttl * 1000 });
    const gaveUpMs = Date.now() - renewed;
    // Still in the store: a gave up while the lease was in doubt, before it could expire.
    assert.equal((await store.get('/corral/leader'))?.lease, first, `key still on the old lease after ${gaveUpMs} ms`);
    assert.ok(gaveUpMs < ttl * 1000, `gave up after ${gaveUpMs} ms`);
    // The old lease lives on (as when a new raft leader extends every lease) and the store
    // answers again: a must not renew it (the key would stay held with nobody leading) but
    // lead again under a new one.
    assert.ok((await store.keepAlive(first)) > 0);
    cut.down = false;
    await waitFor(() => a.leading, { what: 'a to lead again', timeoutMs: 3000 });
    const now = (await store.get('/corral/leader'))!;
    assert.notEqual(now.lease, first, 'a fresh lease');
    assert.equal(JSON.parse(now.value).id, 'a');
    await waitFor(async () => (await store.leaseTtl(first)) === -1, { what: 'the old lease gone (never renewed)', timeoutMs: ttl * 1000 + 1000 });
    assert.deepEqual(a.log, ['elected', 'demoted', 'elected']);
  });

  it('holds the key but cannot act: releases it at once, the other leads; it leads again once healthy', async (t) => {
    const store = await openSqliteStore(join(dir, 'cannot-act.sqlite'), { leaseCheckIntervalMs: 50 });
    t.after(() => store.close());
    const ttl = 3;
    let healthy = true;
    const a = await contend(t, store, 'a', ttl, { healthy: () => healthy, retreatMs: 500 });
    const b = await contend(t, store, 'b', ttl);
    assert.equal(a.leading, true);
    const sick = Date.now();
    healthy = false;
    await waitFor(() => b.leading, { what: 'b to lead', timeoutMs: ttl * 1000 });
    const tookMs = Date.now() - sick;
    // Released, not left to expire: well within the TTL.
    assert.ok(tookMs < (ttl * 1000) / 2, `b led ${tookMs} ms after a could not act`);
    assert.equal(a.leading, false);
    healthy = true;
    await b.election.close();
    await waitFor(() => a.leading, { what: 'a to lead again', timeoutMs: 3000 });
    assert.deepEqual(a.log, ['elected', 'demoted', 'elected']);
  });

  it('a leader whose work fails to start releases the key, and the other contender leads', async (t) => {
    const store = await openSqliteStore(join(dir, 'start-fails.sqlite'), { leaseCheckIntervalMs: 50 });
    t.after(() => store.close());
    let starts = 0;
    const a = await contend(t, store, 'a', 3, {
      onElected: () => {
        starts++;
        throw new Error('the reconciler could not start');
      },
      retreatMs: 60_000,
    });
    assert.equal(starts, 1);
    assert.equal(a.election.isLeader, false);
    assert.equal(await store.get('/corral/leader'), undefined, 'the key was released');
    const b = await contend(t, store, 'b', 3);
    assert.equal(b.leading, true);
    assert.equal(starts, 1, 'a stays back');
  });
});

describe('leader fencing', () => {
  it("refuses the writes of a leader whose key was taken over, and lets the new leader's through", async (t) => {
    const store = await openSqliteStore(join(dir, 'fence.sqlite'), { leaseCheckIntervalMs: 50 });
    t.after(() => store.close());
    const a = await contend(t, store, 'a', 1);
    const stale = a.election.fence();
    assert.ok(stale, 'a leads, so it has a fence');
    // Another controller takes the key (as after a's lease expired unnoticed).
    a.election.abandon();
    const b = await contend(t, store, 'b', 1);
    await waitFor(() => b.leading, { what: 'b to lead', timeoutMs: 3000 });
    const site = '/corral/routes/fenced';
    const old = await store.txn({ compare: [stale], success: [{ type: 'put', key: site, value: 'from a' }] });
    assert.equal(old.succeeded, false, 'the old leader cannot write');
    const now = await store.txn({ compare: [b.election.fence()!], success: [{ type: 'put', key: site, value: 'from b' }] });
    assert.equal(now.succeeded, true);
    assert.equal((await store.get(site))?.value, 'from b');
  });
});

const skip = etcdMissing();
describe('leader election on etcd', { skip }, () => {
  it('two controllers: kill the leader, the other leads within the TTL; a leader cut off from etcd steps down', async (t) => {
    const etcd = await startEtcdCluster({ members: 1 });
    t.after(() => etcd.close());
    const ns = `/leader-${randomUUID()}`;
    const sa = await openEtcdStore(etcd.endpoints, { namespace: ns, callTimeoutMs: 1000 });
    const sb = await openEtcdStore(etcd.endpoints, { namespace: ns, callTimeoutMs: 1000 });
    t.after(() => Promise.all([sa.close(), sb.close()]));
    const ttl = 2;
    const a = await contend(t, sa, 'a', ttl);
    const b = await contend(t, sb, 'b', ttl);
    const first = await assertOneLeader([a, b]);
    const [other, otherStore, firstStore] = first === a ? [b, sb, sa] : [a, sa, sb];
    // The leader loses its connection (its process is as good as dead to etcd).
    const cut = Date.now();
    await firstStore.close();
    await waitFor(() => !first.leading, { what: 'the cut-off leader to step down', timeoutMs: ttl * 1000 });
    const steppedDownMs = Date.now() - cut;
    await waitFor(() => other.leading, { what: 'the other to lead', timeoutMs: ttl * 1000 + 3000 });
    const tookMs = Date.now() - cut;
    assert.ok(steppedDownMs <= tookMs, `stepped down (${steppedDownMs} ms) before the new leader (${tookMs} ms)`);
    assert.equal((await other.election.leader())?.id, other.id);
    assert.equal((await otherStore.get('/corral/leader')) !== undefined, true);
  });
});
