// Tests only: what both etcd stores (the etcd3 gRPC client, etcd-store.ts; etcd's JSON
// gateway, etcd-gateway-store.ts) must do, against a real etcd started here: the shared
// contract (conformance.ts) on one member, then namespaces, compaction and an unreachable
// cluster, then what a cluster adds: a member dies under a watch (no gap, no duplicate),
// hangs under a watch (the watch moves on while it is hung) and dies under a lease being
// kept alive (no call fails). Skipped where etcd is not installed.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '../lib/wait.ts';
import { storeConformance } from './conformance.ts';
import { strictlyIncreasing, WatchRecorder } from './conformance/harness.ts';
import { etcdMissing, startEtcdCluster, type EtcdCluster } from './etcd-testing.ts';
import type { Store } from './types.ts';

export type OpenEtcdStore = (endpoints: string[], opts?: { namespace?: string; callTimeoutMs?: number }) => Promise<Store>;

/** A hung member is found by the watches' silence check (etcd-gateway-http.ts, both stores) within ≈ 8 s. */
const HUNG_WATCH_DEADLINE_MS = 20_000;

/** How often the lease holder in the member-loss test renews, as an engine's keeper would. */
const RENEW_EVERY_MS = 500;

/** Register the cases for one etcd store; endpoints() names the 1-member etcd they share. */
export function etcdStoreCases(name: string, open: OpenEtcdStore): { skip: string | false; endpoints: () => string[] } {
  const skip = etcdMissing();
  let etcd: EtcdCluster | undefined;
  before(async () => {
    if (!skip) etcd = await startEtcdCluster({ members: 1 });
  });
  after(() => etcd?.close());
  const endpoints = () => etcd?.endpoints ?? [];
  let namespace = '';

  if (skip) {
    it(`${name} store conformance`, { skip }, () => {});
  } else {
    storeConformance(name, {
      open: () => open(endpoints(), { namespace: (namespace = `/test-${randomUUID()}`) }),
      reopen: () => open(endpoints(), { namespace }),
      fastLeases: false,
    });
  }
  describe(`${name} store`, { skip }, () => oneMemberCases(open, endpoints));
  describe(`${name} store on a 3-member cluster`, { skip }, () => clusterCases(open));
  return { skip, endpoints };
}

function oneMemberCases(open: OpenEtcdStore, endpoints: () => string[]): void {
  it('keeps namespaces apart', async (t) => {
    const a = await open(endpoints(), { namespace: '/ns-a' });
    const b = await open(endpoints(), { namespace: '/ns-b' });
    t.after(() => Promise.all([a.close(), b.close()]));
    await a.put('/k', 'a');
    assert.equal(await b.get('/k'), undefined);
    assert.deepEqual((await a.range('/')).kvs.map((kv) => kv.key), ['/k']);
  });

  it('reports a watch from a compacted revision as STORE_COMPACTED', async (t) => {
    const s = await open(endpoints(), { namespace: `/c-${randomUUID()}` });
    t.after(() => s.close());
    const { revision: old } = await s.put('/a', '1');
    const { revision } = await s.put('/a', '2');
    // through etcd's JSON gateway, which every member serves
    const res = await fetch(`${endpoints()[0]}/v3/kv/compaction`, { method: 'POST', body: JSON.stringify({ revision: String(revision), physical: true }) });
    assert.equal(res.status, 200, await res.text());
    const rec = await WatchRecorder.start(t, s, '/', { fromRevision: old });
    await rec.until((r) => r.errors.length > 0, 'the compaction error');
    assert.equal((rec.errors[0] as { code?: string }).code, 'STORE_COMPACTED');
    assert.equal(rec.batches.length, 0);
  });

  it('a watch still starting when the store closes rejects with STORE_CLOSED and leaves nothing running', async () => {
    const s = await open(endpoints(), { namespace: `/closing-${randomUUID()}` });
    const events: number[] = [];
    const starting = s.watch('/', (_e, revision) => events.push(revision), { onError: (err) => events.push(-1, Number(err)) });
    await s.close();
    await assert.rejects(starting, { code: 'STORE_CLOSED' });
    assert.deepEqual(events, []);
  });

  it('fails fast with STORE_UNAVAILABLE when no member answers', async () => {
    await assert.rejects(open(['127.0.0.1:1'], { callTimeoutMs: 500 }), { code: 'STORE_UNAVAILABLE' });
  });
}

function clusterCases(open: OpenEtcdStore): void {
  it('a watch survives members dying and coming back: every revision once, in order', async (t) => {
    const cluster = await startEtcdCluster({ members: 3 });
    t.after(() => cluster.close());
    const s = await open(cluster.endpoints, { namespace: '/ha' });
    t.after(() => s.close());
    const rec = await WatchRecorder.start(t, s, '/');
    const written: number[] = [];
    const write = async (i: number) => {
      // A write may fail while a member is gone; what was acknowledged must be delivered.
      try {
        written.push((await s.put(`/k${i % 5}`, String(i))).revision);
      } catch {
        /* not acknowledged */
      }
    };
    let i = 0;
    for (const m of cluster.members) {
      for (let j = 0; j < 20; j++) await write(i++);
      await m.stop('SIGKILL');
      for (let j = 0; j < 20; j++) await write(i++);
      await m.start();
    }
    const last = Math.max(...written);
    await rec.until((r) => (r.batches.at(-1)?.revision ?? 0) >= last || r.errors.length > 0, `watch batch at revision ${last}`, 20_000);
    assert.deepEqual(rec.errors, []);
    const revs = rec.batches.map((b) => b.revision);
    assert.ok(strictlyIncreasing(revs), 'in order, no duplicate');
    for (const r of written) assert.ok(revs.includes(r), `acknowledged revision ${r} delivered`);
    assert.ok(written.length >= 100, `most writes acknowledged (${written.length}/120)`);
  });

  it('a watch goes on when its member hangs (paused, its sockets open): each write is delivered while the member is still hung', async (t) => {
    const cluster = await startEtcdCluster({ members: 3 });
    t.after(() => cluster.close());
    // a put while the raft leader is paused waits out an election too
    const s = await open(cluster.endpoints, { namespace: '/hung', callTimeoutMs: 10_000 });
    t.after(() => s.close());
    const rec = await WatchRecorder.start(t, s, '/');
    const written: number[] = [];
    // Each member in turn, so the one carrying the watch hangs once (a watch on a hung member sees nothing until it wakes).
    for (const m of cluster.members) {
      m.pause();
      const { revision } = await s.put('/k', m.name);
      written.push(revision);
      await rec.untilRevision(revision, HUNG_WATCH_DEADLINE_MS);
      await m.resume();
    }
    assert.deepEqual(rec.errors, []);
    const revs = rec.batches.map((b) => b.revision);
    assert.ok(strictlyIncreasing(revs), 'in order, no duplicate');
    // a put retried on the next member may also have been applied by the first attempt: a revision more
    for (const r of written) assert.ok(revs.includes(r), `acknowledged revision ${r} delivered`);
  });

  it('keep-alives, reads and writes go on while any one member is dead: none fails, the lease lives', async (t) => {
    const cluster = await startEtcdCluster({ members: 3 });
    t.after(() => cluster.close());
    const s = await open(cluster.endpoints, { namespace: '/keep' });
    t.after(() => s.close());
    const lease = await s.grantLease(2);
    await s.put('/held', 'x', { lease });
    const failures: string[] = [];
    let calls = 0;
    let running = true;
    // A holder renewing every 500 ms, as the engines, controllers and router nodes do, and using the store.
    const holder = (async () => {
      while (running) {
        try {
          const ttl = await s.keepAlive(lease);
          if (ttl <= 0) failures.push(`lease gone (ttl ${ttl})`);
          await s.put('/k', String(calls));
          await s.get('/k');
          calls++;
        } catch (err) {
          failures.push((err as Error).message);
        }
        // the holder's renewal cadence (a quarter of the 2 s lease), not a wait for readiness
        await new Promise((resolve) => setTimeout(resolve, RENEW_EVERY_MS));
      }
    })();
    const raftLeader = (await cluster.leader())!;
    for (const m of [raftLeader, ...cluster.members.filter((x) => x !== raftLeader)]) {
      const before = calls;
      await m.stop('SIGKILL');
      // The member stays dead for a few renewals of the 2 s lease.
      await waitFor(() => calls >= before + 6, { what: `six rounds without ${m.name}`, timeoutMs: 20_000 });
      await m.start();
    }
    running = false;
    await holder;
    assert.deepEqual(failures, []);
    assert.equal((await s.get('/held'))?.lease, lease, 'the key still on its lease');
  });
}
