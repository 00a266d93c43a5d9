// Transactions: compares on mod/create/version/value, both branches, reads inside,
// one revision per transaction, and compare-and-swap under contention.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Compare } from '../types.ts';
import type { Harness } from './harness.ts';

export function txnCases(h: Harness): void {
  describe('transactions', () => {
    it('takes the success branch when every compare holds: all writes share one revision', async (t) => {
      const s = await h.open(t);
      const p = h.prefix();
      const { revision: r } = await s.put(`${p}a`, 'v1');
      const res = await s.txn({
        compare: [{ key: `${p}a`, target: 'mod', op: '=', value: r }],
        success: [
          { type: 'put', key: `${p}a`, value: 'v2' },
          { type: 'put', key: `${p}b`, value: 'b' },
          { type: 'get', key: `${p}a` },
        ],
        failure: [{ type: 'put', key: `${p}failed`, value: 'x' }],
      });
      assert.equal(res.succeeded, true);
      assert.equal(res.revision, r + 1);
      assert.equal(res.gets.length, 1);
      assert.equal(res.gets[0]?.value, 'v2', 'a get sees the earlier writes of its transaction');
      assert.equal((await s.get(`${p}a`))?.modRevision, r + 1);
      assert.equal((await s.get(`${p}b`))?.modRevision, r + 1);
      assert.equal(await s.get(`${p}failed`), undefined);
    });

    it('takes the failure branch when a compare fails', async (t) => {
      const s = await h.open(t);
      const p = h.prefix();
      const { revision: r } = await s.put(`${p}a`, 'v1');
      const res = await s.txn({
        compare: [
          { key: `${p}a`, target: 'value', op: '=', value: 'v1' },
          { key: `${p}a`, target: 'mod', op: '>', value: r },
        ],
        success: [{ type: 'put', key: `${p}a`, value: 'won' }],
        failure: [{ type: 'get', key: `${p}a` }, { type: 'get', key: `${p}none` }, { type: 'delete', key: `${p}a` }],
      });
      assert.equal(res.succeeded, false);
      assert.equal(res.gets[0]?.value, 'v1');
      assert.equal(res.gets[1], undefined);
      assert.equal(res.gets.length, 2);
      assert.equal(res.revision, r + 1);
      assert.equal(await s.get(`${p}a`), undefined);
    });

    it('a read-only or no-op transaction leaves the revision alone', async (t) => {
      const s = await h.open(t);
      const p = h.prefix();
      const { revision } = await s.put(`${p}a`, 'v');
      const res = await s.txn({ compare: [], success: [{ type: 'get', key: `${p}a` }, { type: 'delete', key: `${p}none` }] });
      assert.deepEqual(res, { succeeded: true, revision, gets: [await s.get(`${p}a`)] });
      const failed = await s.txn({ compare: [{ key: `${p}a`, target: 'version', op: '=', value: 9 }], success: [] });
      assert.deepEqual(failed, { succeeded: false, revision, gets: [] });
    });

    it('a missing key compares as create 0, mod 0, version 0 (create-if-absent)', async (t) => {
      const s = await h.open(t);
      const k = `${h.prefix()}lock`;
      const claim = () =>
        s.txn({ compare: [{ key: k, target: 'create', op: '=', value: 0 }], success: [{ type: 'put', key: k, value: 'me' }] });
      assert.equal((await claim()).succeeded, true);
      assert.equal((await claim()).succeeded, false);
      const missing = `${h.prefix()}missing`;
      const holds = async (cmp: Compare) => (await s.txn({ compare: [cmp], success: [] })).succeeded;
      assert.equal(await holds({ key: missing, target: 'mod', op: '=', value: 0 }), true);
      assert.equal(await holds({ key: missing, target: 'version', op: '=', value: 0 }), true);
    });

    it('compares every target with every operator', async (t) => {
      const s = await h.open(t);
      const k = `${h.prefix()}a`;
      const { revision: created } = await s.put(k, 'x');
      const { revision: mod } = await s.put(k, 'y');
      const holds = async (cmp: Compare) => (await s.txn({ compare: [cmp], success: [] })).succeeded;
      const cases: [Compare, boolean][] = [
        [{ key: k, target: 'create', op: '=', value: created }, true],
        [{ key: k, target: 'create', op: '<', value: mod }, true],
        [{ key: k, target: 'mod', op: '=', value: created }, false],
        [{ key: k, target: 'mod', op: '!=', value: created }, true],
        [{ key: k, target: 'mod', op: '>', value: created }, true],
        [{ key: k, target: 'version', op: '=', value: 2 }, true],
        [{ key: k, target: 'version', op: '<', value: 2 }, false],
        [{ key: k, target: 'version', op: '>', value: 1 }, true],
        [{ key: k, target: 'version', op: '!=', value: 2 }, false],
        [{ key: k, target: 'value', op: '=', value: 'y' }, true],
        [{ key: k, target: 'value', op: '=', value: 'x' }, false],
        [{ key: k, target: 'value', op: '!=', value: 'x' }, true],
        [{ key: k, target: 'value', op: '!=', value: 'y' }, false],
        // As in etcd, a value compare on a missing key fails whatever the operator.
        [{ key: `${k}-missing`, target: 'value', op: '!=', value: 'y' }, false],
        [{ key: `${k}-missing`, target: 'value', op: '=', value: '' }, false],
      ];
      for (const [cmp, expected] of cases) assert.equal(await holds(cmp), expected, JSON.stringify(cmp));
    });

    it('deletes and deletePrefix inside a transaction are one revision', async (t) => {
      const s = await h.open(t);
      const p = h.prefix();
      for (const k of ['d/1', 'd/2', 'e', 'keep']) await s.put(p + k, k);
      const before = await s.revision();
      const res = await s.txn({
        compare: [],
        success: [
          { type: 'deletePrefix', prefix: `${p}d/` },
          { type: 'delete', key: `${p}e` },
          { type: 'put', key: `${p}f`, value: 'f' },
        ],
      });
      assert.equal(res.revision, before + 1);
      assert.deepEqual((await s.range(p)).kvs.map((kv) => kv.key), [`${p}f`, `${p}keep`]);
    });

    it('concurrent compare-and-swaps on one modRevision: exactly one wins', async (t) => {
      const s = await h.open(t);
      const k = `${h.prefix()}counter`;
      const { revision } = await s.put(k, '0');
      const contenders = Array.from({ length: 10 }, (_, i) =>
        s.txn({ compare: [{ key: k, target: 'mod', op: '=', value: revision }], success: [{ type: 'put', key: k, value: `w${i}` }] }),
      );
      const results = await Promise.all(contenders);
      const winners = results.flatMap((r, i) => (r.succeeded ? [i] : []));
      assert.equal(winners.length, 1);
      assert.equal((await s.get(k))?.value, `w${winners[0]}`);
      assert.equal((await s.get(k))?.version, 2);
    });

    it('refuses a branch that writes one key twice (STORE_TXN_DUPLICATE_KEY), writing nothing', async (t) => {
      const s = await h.open(t);
      const p = h.prefix();
      const before = await s.revision();
      const twice = [
        [{ type: 'put', key: `${p}a`, value: '1' }, { type: 'put', key: `${p}a`, value: '2' }],
        [{ type: 'put', key: `${p}a`, value: '1' }, { type: 'delete', key: `${p}a` }],
        [{ type: 'put', key: `${p}a/x`, value: '1' }, { type: 'deletePrefix', prefix: `${p}a/` }],
      ] as const;
      for (const success of twice) {
        await assert.rejects(s.txn({ compare: [], success: [...success] }), { code: 'STORE_TXN_DUPLICATE_KEY' });
      }
      assert.equal(await s.revision(), before);
      assert.deepEqual((await s.range(p)).kvs, []);
    });
  });
}
