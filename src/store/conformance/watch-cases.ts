// Watches: from now or from a past revision, in revision order, each event once,
// one batch per revision, filtered by prefix, with deletes and prevKv.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { waitFor } from '../../lib/wait.ts';
import { strictlyIncreasing, WatchRecorder, type Harness } from './harness.ts';

export function watchCases(h: Harness): void {
  describe('watch', () => {
    it('from now: only later writes, each batch at its revision', async (t) => {
      const s = await h.open(t);
      const p = h.prefix();
      await s.put(`${p}before`, 'x');
      const rec = await WatchRecorder.start(t, s, p);
      const { revision } = await s.put(`${p}after`, 'y');
      await rec.untilRevision(revision);
      assert.deepEqual(rec.log, [`put ${p}after`]);
      assert.equal(rec.batches[0]?.revision, revision);
      assert.equal(rec.events[0]?.kv.modRevision, revision);
      assert.equal(rec.events[0]?.kv.value, 'y');
    });

    it('never calls back inside the write call', async (t) => {
      const s = await h.open(t);
      const p = h.prefix();
      let inWrite = false;
      let calledInWrite = false;
      let calls = 0;
      const watcher = await s.watch(p, () => {
        calls++;
        calledInWrite ||= inWrite;
      });
      t.after(() => watcher.close());
      inWrite = true;
      const pending = s.put(`${p}a`, 'v');
      inWrite = false;
      await pending;
      await waitFor(() => calls === 1, { what: 'the callback' });
      assert.equal(calledInWrite, false);
    });

    it('from a past revision: replays history in order, then goes live', async (t) => {
      const s = await h.open(t);
      const p = h.prefix();
      const { revision: from } = await s.put(`${p}a`, '1');
      await s.put(`${p}b`, '2');
      await s.delete(`${p}a`);
      const rec = await WatchRecorder.start(t, s, p, { fromRevision: from });
      const { revision: last } = await s.put(`${p}c`, '3');
      await rec.untilRevision(last);
      assert.deepEqual(rec.log, [`put ${p}a`, `put ${p}b`, `delete ${p}a`, `put ${p}c`]);
      assert.equal(rec.batches[0]?.revision, from);
      assert.ok(strictlyIncreasing(rec.batches.map((b) => b.revision)));
    });

    it('from a future revision: nothing before it', async (t) => {
      const s = await h.open(t);
      const p = h.prefix();
      const from = (await s.revision()) + 2;
      const rec = await WatchRecorder.start(t, s, p, { fromRevision: from });
      await s.put(`${p}skipped`, '1');
      const { revision } = await s.put(`${p}seen`, '2');
      assert.equal(revision, from);
      await rec.untilRevision(revision);
      assert.deepEqual(rec.log, [`put ${p}seen`]);
    });

    it('many concurrent writes: every event exactly once, in revision order, batched per revision', async (t) => {
      const s = await h.open(t);
      const p = h.prefix();
      const rec = await WatchRecorder.start(t, s, p);
      const writes = Array.from({ length: 200 }, (_, i) => {
        const key = `${p}k${i % 7}`;
        if (i % 10 === 9) return s.delete(key);
        if (i % 25 === 0) {
          return s.txn({ compare: [], success: [{ type: 'put', key: `${key}/x`, value: String(i) }, { type: 'put', key: `${key}/y`, value: String(i) }] });
        }
        return s.put(key, String(i));
      });
      const results = await Promise.all(writes);
      const last = Math.max(...results.map((r) => r.revision));
      await rec.untilRevision(last);
      const revisions = rec.batches.map((b) => b.revision);
      assert.ok(strictlyIncreasing(revisions), 'batches in strictly increasing revision order');
      for (const b of rec.batches) assert.ok(b.events.every((e) => e.kv.modRevision === b.revision), `batch ${b.revision} holds only its revision`);
      const writeRevisions = new Set(results.filter((r) => !('deleted' in r) || (r.deleted as number) > 0).map((r) => r.revision));
      assert.deepEqual(new Set(revisions), writeRevisions, 'one batch per write that changed something');
      for (const r of results) if ('succeeded' in r) assert.equal(rec.batches.find((b) => b.revision === r.revision)?.events.length, 2);
      const final = new Map((await s.range(p)).kvs.map((kv) => [kv.key, kv.value]));
      const replayed = new Map<string, string>();
      for (const e of rec.events) {
        if (e.type === 'put') replayed.set(e.kv.key, e.kv.value);
        else replayed.delete(e.kv.key);
      }
      assert.deepEqual(replayed, final, 'replaying the events rebuilds the final state');
    });

    it('filters by prefix: siblings of the prefix are not delivered', async (t) => {
      const s = await h.open(t);
      const p = h.prefix();
      const rec = await WatchRecorder.start(t, s, `${p}a/`);
      await s.put(`${p}ab`, 'sibling');
      await s.put(`${p}a`, 'parent');
      await s.put(`${p}b/1`, 'other');
      const { revision } = await s.put(`${p}a/1`, 'child');
      await rec.untilRevision(revision);
      assert.deepEqual(rec.log, [`put ${p}a/1`]);
    });

    it('delivers deletes with the deleting revision and prevKv, and puts with prevKv', async (t) => {
      const s = await h.open(t);
      const p = h.prefix();
      const { revision: created } = await s.put(`${p}a`, 'v1');
      const rec = await WatchRecorder.start(t, s, p);
      const { revision: updated } = await s.put(`${p}a`, 'v2');
      const { revision: deleted } = await s.delete(`${p}a`);
      await rec.untilRevision(deleted);
      const [put, del] = rec.events;
      assert.equal(put?.type, 'put');
      assert.deepEqual(put?.prevKv, { key: `${p}a`, value: 'v1', createRevision: created, modRevision: created, version: 1, lease: 0 });
      assert.equal(put?.kv.version, 2);
      assert.equal(del?.type, 'delete');
      assert.equal(del?.kv.key, `${p}a`);
      assert.equal(del?.kv.value, '');
      assert.equal(del?.kv.modRevision, deleted);
      assert.equal(del?.prevKv?.value, 'v2');
      assert.equal(del?.prevKv?.modRevision, updated);
    });

    it('deletePrefix arrives as one batch of deletes', async (t) => {
      const s = await h.open(t);
      const p = h.prefix();
      for (const k of ['1', '2', '3']) await s.put(`${p}d/${k}`, k);
      const rec = await WatchRecorder.start(t, s, p);
      const { revision } = await s.deletePrefix(`${p}d/`);
      await rec.untilRevision(revision);
      assert.equal(rec.batches.length, 1);
      assert.deepEqual(rec.log, [`delete ${p}d/1`, `delete ${p}d/2`, `delete ${p}d/3`]);
    });

    it('close stops delivery; close is safe twice', async (t) => {
      const s = await h.open(t);
      const p = h.prefix();
      const closed = await WatchRecorder.start(t, s, p);
      const open = await WatchRecorder.start(t, s, p);
      const { revision: first } = await s.put(`${p}a`, '1');
      await closed.untilRevision(first);
      closed.watcher.close();
      closed.watcher.close();
      await s.put(`${p}a`, '2');
      // The open watcher is the barrier: once it has the last write, the closed one would have had it too.
      const { revision: last } = await s.put(`${p}a`, '3');
      await open.untilRevision(last);
      assert.equal(closed.events.length, 1);
      assert.equal(open.events.length, 3);
    });

    it('watches from before a restart get every event once, in order', { skip: !h.factory.reopen && 'factory has no reopen' }, async (t) => {
      const p = h.prefix();
      const first = await h.open(t);
      const { revision: from } = await first.put(`${p}a`, 'before-1');
      await first.put(`${p}b`, 'before-2');
      await first.close();
      const s = await h.reopen(t);
      assert.equal((await s.get(`${p}a`))?.value, 'before-1');
      await s.put(`${p}c`, 'after-1');
      const rec = await WatchRecorder.start(t, s, p, { fromRevision: from });
      await s.delete(`${p}a`);
      const { revision: last } = await s.put(`${p}d`, 'after-2');
      await rec.untilRevision(last);
      assert.deepEqual(rec.log, [`put ${p}a`, `put ${p}b`, `put ${p}c`, `delete ${p}a`, `put ${p}d`]);
      assert.ok(strictlyIncreasing(rec.batches.map((b) => b.revision)));
      assert.equal(rec.batches[0]?.revision, from);
    });
  });
}
