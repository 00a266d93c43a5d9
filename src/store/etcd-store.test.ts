// The etcd store: the shared contract against a real 1-member etcd, then what a
// cluster adds (a member dies under a watch: no gap, no duplicate).

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { storeConformance } from './conformance.ts';
import { strictlyIncreasing, WatchRecorder } from './conformance/harness.ts';
import { openEtcdStore } from './etcd-store.ts';
import { etcdMissing, startEtcdCluster, type EtcdCluster } from './etcd-testing.ts';
import { Etcd3 } from 'etcd3';
import { waitFor } from '../lib/wait.ts';

/** How often the lease holder in the member-loss test renews, as an engine's keeper would. */
const RENEW_EVERY_MS = 500;

const skip = etcdMissing();
let etcd: EtcdCluster | undefined;
before(async () => {
  if (!skip) etcd = await startEtcdCluster({ members: 1 });
});
after(() => etcd?.close());

const endpoints = () => etcd?.endpoints ?? [];
let namespace = '';

if (skip) {
  it('etcd store conformance', { skip }, () => {});
} else {
  storeConformance('etcd', {
    open: () => openEtcdStore(endpoints(), { namespace: (namespace = `/test-${randomUUID()}`) }),
    reopen: () => openEtcdStore(endpoints(), { namespace }),
    fastLeases: false,
  });
}

describe('etcd store', { skip }, () => {
  it('keeps namespaces apart', async (t) => {
    const a = await openEtcdStore(endpoints(), { namespace: '/ns-a' });
    const b = await openEtcdStore(endpoints(), { namespace: '/ns-b' });
    t.after(() => Promise.all([a.close(), b.close()]));
    await a.put('/k', 'a');
    assert.equal(await b.get('/k'), undefined);
    assert.deepEqual((await a.range('/')).kvs.map((kv) => kv.key), ['/k']);
  });

  it('reports a watch from a compacted revision as STORE_COMPACTED', async (t) => {
    const s = await openEtcdStore(endpoints(), { namespace: `/c-${randomUUID()}` });
    t.after(() => s.close());
    const { revision: old } = await s.put('/a', '1');
    const { revision } = await s.put('/a', '2');
    const raw = new Etcd3({ hosts: endpoints() });
    t.after(() => raw.close());
    await raw.kv.compact({ revision, physical: true });
    const rec = await WatchRecorder.start(t, s, '/', { fromRevision: old });
    await rec.until((r) => r.errors.length > 0, 'the compaction error');
    assert.equal((rec.errors[0] as { code?: string }).code, 'STORE_COMPACTED');
    assert.equal(rec.batches.length, 0);
  });

  it('fails fast with STORE_UNAVAILABLE when no member answers', async () => {
    await assert.rejects(openEtcdStore(['127.0.0.1:1'], { callTimeoutMs: 500, dialTimeoutMs: 300 }), { code: 'STORE_UNAVAILABLE' });
  });
});

describe('etcd store on a 3-member cluster', { skip }, () => {
  it('a watch survives members dying and coming back: every revision once, in order', async (t) => {
    const cluster = await startEtcdCluster({ members: 3 });
    t.after(() => cluster.close());
    const s = await openEtcdStore(cluster.endpoints, { namespace: '/ha' });
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
    await rec.untilRevision(last, 20_000);
    const revs = rec.batches.map((b) => b.revision);
    assert.ok(strictlyIncreasing(revs), 'in order, no duplicate');
    for (const r of written) assert.ok(revs.includes(r), `acknowledged revision ${r} delivered`);
    assert.ok(written.length >= 100, `most writes acknowledged (${written.length}/120)`);
  });

  it('keep-alives, reads and writes go on while any one member is dead: none fails, the lease lives', async (t) => {
    const cluster = await startEtcdCluster({ members: 3 });
    t.after(() => cluster.close());
    const s = await openEtcdStore(cluster.endpoints, { namespace: '/keep' });
    t.after(() => s.close());
    const lease = await s.grantLease(2);
    await s.put('/held', 'x', { lease });
    const failures: string[] = [];
    let calls = 0;
    let running = true;
    // A holder renewing every 500 ms, as the engines and controllers do, and using the store.
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
        // the holder's renewal cadence (a third of the 2 s lease), not a wait for readiness
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
});
