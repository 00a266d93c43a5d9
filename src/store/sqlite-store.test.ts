// The SQLite store: the shared contract, then what only a file-backed store promises.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { storeConformance } from './conformance.ts';
import { strictlyIncreasing, WatchRecorder } from './conformance/harness.ts';
import { waitFor } from '../lib/wait.ts';
import { CompactedError } from './errors.ts';
import { openSqliteStore } from './sqlite-store.ts';

const dir = mkdtempSync(join(tmpdir(), 'corral-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
const newFile = () => join(dir, `store-${++files}.sqlite`);

let latest = '';
storeConformance('sqlite', {
  open: () => openSqliteStore((latest = newFile()), { leaseCheckIntervalMs: 50 }),
  reopen: () => openSqliteStore(latest, { leaseCheckIntervalMs: 50 }),
  fastLeases: true,
});

describe('sqlite store', () => {
  it('keeps keys, bookkeeping and the revision across a reopen', async (t) => {
    const file = newFile();
    const first = await openSqliteStore(file);
    await first.put('/a', '1');
    const { revision } = await first.put('/a', '2');
    const lease = await first.grantLease(60);
    const kv = await first.get('/a');
    await first.close();
    const s = await openSqliteStore(file);
    t.after(() => s.close());
    assert.deepEqual(await s.get('/a'), kv);
    assert.equal(await s.revision(), revision);
    assert.ok((await s.grantLease(60)) > lease, 'lease ids are not reused');
  });

  it('expires, on reopen, a lease that ran out while closed, deleting its keys', async (t) => {
    const file = newFile();
    const first = await openSqliteStore(file);
    const short = await first.grantLease(1);
    const long = await first.grantLease(60);
    await first.put('/short', 'x', { lease: short });
    const { revision: from } = await first.put('/long', 'y', { lease: long });
    await first.close();

    // Reopen ten seconds later, by the store's clock.
    const s = await openSqliteStore(file, { now: () => Date.now() + 10_000 });
    t.after(() => s.close());
    assert.equal(await s.get('/short'), undefined);
    assert.equal(await s.leaseTtl(short), -1);
    assert.equal((await s.get('/long'))?.value, 'y', 'a lease within its TTL lives on');
    assert.ok((await s.leaseTtl(long)) > 0);
    assert.equal(await s.keepAlive(long), 60);
    const rec = await WatchRecorder.start(t, s, '/', { fromRevision: from });
    await rec.untilRevision(from + 1);
    assert.deepEqual(rec.log, ['put /long', 'delete /short']);
  });

  it('refuses a second open of the same file while it is open (STORE_IN_USE)', async (t) => {
    const file = newFile();
    const s = await openSqliteStore(file);
    t.after(() => s.close());
    await assert.rejects(openSqliteStore(file), { code: 'STORE_IN_USE' });
    await s.close();
    const again = await openSqliteStore(file);
    await again.close();
  });

  it('compacts old history and tells a watch that asks for it (STORE_COMPACTED)', async (t) => {
    const s = await openSqliteStore(newFile(), { historyRevisions: 5 });
    t.after(() => s.close());
    let last = 0;
    for (let i = 0; i < 20; i++) last = (await s.put(`/k${i}`, String(i))).revision;
    const old = await WatchRecorder.start(t, s, '/', { fromRevision: 2 });
    await old.until((r) => r.errors.length > 0, 'the compaction error');
    assert.ok(old.errors[0] instanceof CompactedError);
    assert.equal((old.errors[0] as CompactedError).code, 'STORE_COMPACTED');
    const recent = await WatchRecorder.start(t, s, '/', { fromRevision: last - 4 });
    await recent.untilRevision(last);
    assert.equal(recent.batches.length, 5);
  });

  it('does not compact history a replaying watch still has to read', async (t) => {
    const s = await openSqliteStore(newFile(), { historyRevisions: 5 });
    t.after(() => s.close());
    const { revision: from } = await s.put('/start', 'x');
    // Not awaited: the writes below land before the watch's first (asynchronous) read of the log.
    const started = WatchRecorder.start(t, s, '/', { fromRevision: from });
    const writes = Array.from({ length: 30 }, (_, i) => s.put(`/k${i}`, String(i)));
    const rec = await started;
    const last = (await Promise.all(writes)).at(-1)?.revision ?? 0;
    await rec.untilRevision(last);
    assert.equal(rec.errors.length, 0);
    assert.equal(rec.batches.length, 31);
  });

  it('goes on delivering after a callback throws', async (t) => {
    const s = await openSqliteStore(newFile());
    t.after(() => s.close());
    const seen: number[] = [];
    const watcher = await s.watch('/', (_events, revision) => {
      seen.push(revision);
      if (seen.length === 1) throw new Error('consumer bug (expected in this test)');
    });
    t.after(() => watcher.close());
    await s.put('/a', '1');
    const { revision } = await s.put('/a', '2');
    await waitFor(() => seen.includes(revision), { what: 'the second batch' });
    assert.deepEqual(seen, [revision - 1, revision]);
  });

  it('keeps every stream in order when a callback writes to the store', async (t) => {
    const s = await openSqliteStore(newFile());
    t.after(() => s.close());
    const all = await WatchRecorder.start(t, s, '/');
    const echo = await s.watch('/in/', (events) => {
      for (const e of events) void s.put(`/out/${e.kv.value}`, e.kv.value);
    });
    t.after(() => echo.close());
    await Promise.all(Array.from({ length: 20 }, (_, i) => s.put(`/in/${i % 3}`, String(i))));
    await all.until((r) => r.events.length === 40, '20 writes and their 20 echoes');
    assert.ok(strictlyIncreasing(all.batches.map((b) => b.revision)));
    assert.equal(new Set(all.batches.map((b) => b.revision)).size, 40);
    assert.equal((await s.range('/out/')).kvs.length, 20);
  });

  it('rejects a TTL that is not a whole number of seconds >= 1', async (t) => {
    const s = await openSqliteStore(newFile());
    t.after(() => s.close());
    await assert.rejects(s.grantLease(0), { code: 'STORE_INVALID_ARGUMENT' });
    await assert.rejects(s.grantLease(1.5), { code: 'STORE_INVALID_ARGUMENT' });
  });
});
