// Leases: grant, TTL, keepAlive, revoke and expiry; attached keys die with their
// lease, as one revision of delete events.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { waitFor } from '../../lib/wait.ts';
import { WatchRecorder, type Harness } from './harness.ts';

export function leaseCases(h: Harness): void {
  describe('leases', () => {
    it('grant gives a positive id and reports its TTL; keepAlive renews to the full TTL', async (t) => {
      const s = await h.open(t);
      const id = await s.grantLease(10);
      assert.ok(Number.isInteger(id) && id > 0);
      const ttl = await s.leaseTtl(id);
      assert.ok(ttl > 8 && ttl <= 10, `ttl ${ttl}`);
      assert.equal(await s.keepAlive(id), 10);
      assert.notEqual(await s.grantLease(10), id, 'ids are distinct');
    });

    it('unknown leases: TTL and keepAlive are -1; revoke and put reject with STORE_LEASE_NOT_FOUND', async (t) => {
      const s = await h.open(t);
      const id = await s.grantLease(10);
      await s.revokeLease(id);
      assert.equal(await s.leaseTtl(id), -1);
      assert.equal(await s.keepAlive(id), -1);
      await assert.rejects(s.revokeLease(id), { code: 'STORE_LEASE_NOT_FOUND' });
      const k = `${h.prefix()}a`;
      await assert.rejects(s.put(k, 'v', { lease: id }), { code: 'STORE_LEASE_NOT_FOUND' });
      await assert.rejects(s.txn({ compare: [], success: [{ type: 'put', key: `${k}2`, value: 'v' }, { type: 'put', key: k, value: 'v', lease: id }] }), {
        code: 'STORE_LEASE_NOT_FOUND',
      });
      assert.equal(await s.get(`${k}2`), undefined, 'a rejected transaction writes nothing');
    });

    it('revoke deletes the attached keys in one revision, with delete events', async (t) => {
      const s = await h.open(t);
      const p = h.prefix();
      const id = await s.grantLease(10);
      await s.put(`${p}a`, '1', { lease: id });
      await s.txn({ compare: [], success: [{ type: 'put', key: `${p}b`, value: '2', lease: id }] });
      await s.put(`${p}free`, '3');
      assert.equal((await s.get(`${p}a`))?.lease, id);
      const rec = await WatchRecorder.start(t, s, p);
      const before = await s.revision();
      await s.revokeLease(id);
      await rec.untilRevision(before + 1);
      assert.equal(await s.revision(), before + 1);
      assert.deepEqual(rec.batches.map((b) => b.revision), [before + 1]);
      assert.deepEqual(rec.log, [`delete ${p}a`, `delete ${p}b`]);
      assert.deepEqual((await s.range(p)).kvs.map((kv) => kv.key), [`${p}free`]);
    });

    it('putting a key again without the lease detaches it', async (t) => {
      const s = await h.open(t);
      const k = `${h.prefix()}a`;
      const id = await s.grantLease(10);
      await s.put(k, '1', { lease: id });
      await s.put(k, '2');
      assert.equal((await s.get(k))?.lease, 0);
      await s.revokeLease(id);
      assert.equal((await s.get(k))?.value, '2');
    });

    it('expiry deletes the attached keys with delete events; the lease is then gone', async (t) => {
      const s = await h.open(t);
      const p = h.prefix();
      const rec = await WatchRecorder.start(t, s, p);
      const id = await s.grantLease(1);
      await s.put(`${p}a`, '1', { lease: id });
      await s.put(`${p}b`, '2', { lease: id });
      await rec.until((r) => r.log.includes(`delete ${p}b`), 'delete events of the expired lease', h.expiryTimeoutMs);
      assert.deepEqual(rec.log, [`put ${p}a`, `put ${p}b`, `delete ${p}a`, `delete ${p}b`]);
      assert.equal(rec.batches.length, 3, 'the expiry is one revision');
      assert.deepEqual((await s.range(p)).kvs, []);
      assert.equal(await s.keepAlive(id), -1);
      assert.equal(await s.leaseTtl(id), -1);
    });

    it('keepAlive keeps a lease and its keys alive past the TTL', async (t) => {
      const s = await h.open(t);
      const k = `${h.prefix()}a`;
      const id = await s.grantLease(1);
      await s.put(k, 'v', { lease: id });
      // The backend may round a short TTL up (etcd), so outlive what it reports, not what was asked.
      const granted = await s.leaseTtl(id);
      const until = Date.now() + granted * 1500;
      await waitFor(
        async () => {
          assert.ok((await s.keepAlive(id)) > 0, 'keepAlive while alive');
          assert.equal((await s.get(k))?.value, 'v');
          return Date.now() > until;
        },
        { what: 'one and a half TTLs of keep-alives', intervalMs: 200, timeoutMs: h.expiryTimeoutMs },
      );
      assert.equal((await s.get(k))?.lease, id);
      await waitFor(async () => (await s.get(k)) === undefined, { what: 'expiry once keep-alives stop', timeoutMs: h.expiryTimeoutMs });
    });
  });
}
