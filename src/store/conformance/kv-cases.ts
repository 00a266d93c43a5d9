// Keys: get, put, delete, range and deletePrefix, with etcd's revision bookkeeping.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Harness } from './harness.ts';

export function kvCases(h: Harness): void {
  describe('keys', () => {
    it('put then get returns the value with its bookkeeping', async (t) => {
      const s = await h.open(t);
      const k = `${h.prefix()}a`;
      const { revision } = await s.put(k, '{"n":1}');
      assert.deepEqual(await s.get(k), { key: k, value: '{"n":1}', createRevision: revision, modRevision: revision, version: 1, lease: 0 });
      assert.equal(await s.revision(), revision);
    });

    it('get of a missing key is undefined', async (t) => {
      const s = await h.open(t);
      assert.equal(await s.get(`${h.prefix()}missing`), undefined);
    });

    it('each write bumps the revision; version counts modifications; createRevision stays', async (t) => {
      const s = await h.open(t);
      const k = `${h.prefix()}a`;
      const r1 = (await s.put(k, 'one')).revision;
      const r2 = (await s.put(k, 'two')).revision;
      const r3 = (await s.put(k, 'two')).revision;
      assert.ok(r1 < r2 && r2 < r3, `${r1} < ${r2} < ${r3}`);
      const kv = await s.get(k);
      assert.equal(kv?.value, 'two');
      assert.equal(kv?.version, 3);
      assert.equal(kv?.createRevision, r1);
      assert.equal(kv?.modRevision, r3);
    });

    it('delete removes the key and bumps the revision; deleting a missing key does not', async (t) => {
      const s = await h.open(t);
      const k = `${h.prefix()}a`;
      const put = await s.put(k, 'v');
      const del = await s.delete(k);
      assert.deepEqual(del, { revision: put.revision + 1, deleted: 1 });
      assert.equal(await s.get(k), undefined);
      assert.deepEqual(await s.delete(k), { revision: del.revision, deleted: 0 });
      assert.equal(await s.revision(), del.revision);
    });

    it('a key deleted and put again starts over: new createRevision, version 1', async (t) => {
      const s = await h.open(t);
      const k = `${h.prefix()}a`;
      await s.put(k, 'old');
      await s.put(k, 'old2');
      await s.delete(k);
      const { revision } = await s.put(k, 'new');
      const kv = await s.get(k);
      assert.equal(kv?.createRevision, revision);
      assert.equal(kv?.version, 1);
    });

    it('range returns the keys under a prefix in key order, not its siblings', async (t) => {
      const s = await h.open(t);
      const p = h.prefix();
      for (const k of ['a/b/2', 'a/bc', 'a/b/1', 'a/b', 'a/a/1', 'b/1']) await s.put(p + k, k);
      const children = await s.range(`${p}a/b/`);
      assert.deepEqual(children.kvs.map((kv) => kv.key), [`${p}a/b/1`, `${p}a/b/2`]);
      assert.equal(children.revision, await s.revision());
      // A prefix is a plain string prefix (as in etcd): without the '/', '/a/b' also covers '/a/bc'.
      const plain = await s.range(`${p}a/b`);
      assert.deepEqual(plain.kvs.map((kv) => kv.key), [`${p}a/b`, `${p}a/b/1`, `${p}a/b/2`, `${p}a/bc`]);
      assert.deepEqual((await s.range(`${p}zzz/`)).kvs, []);
    });

    it('keys order by their UTF-8 bytes, as in etcd', async (t) => {
      const s = await h.open(t);
      const p = h.prefix();
      const names = ['\u{1f600}', 'z', '\uffee', 'é', 'Z'];
      for (const n of names) await s.put(p + n, n);
      const { kvs } = await s.range(p);
      assert.deepEqual(kvs.map((kv) => kv.value), ['Z', 'z', 'é', '\uffee', '\u{1f600}']);
      assert.equal((await s.get(`${p}\u{1f600}`))?.value, '\u{1f600}');
    });

    it('deletePrefix deletes every key under the prefix in one revision, and no sibling', async (t) => {
      const s = await h.open(t);
      const p = h.prefix();
      for (const k of ['a/1', 'a/2', 'a/3', 'ab', 'b']) await s.put(p + k, k);
      const before = await s.revision();
      const res = await s.deletePrefix(`${p}a/`);
      assert.deepEqual(res, { revision: before + 1, deleted: 3 });
      assert.deepEqual((await s.range(p)).kvs.map((kv) => kv.key), [`${p}ab`, `${p}b`]);
      assert.deepEqual(await s.deletePrefix(`${p}a/`), { revision: res.revision, deleted: 0 });
    });

    it('revisions never go backwards across reads and writes', async (t) => {
      const s = await h.open(t);
      const p = h.prefix();
      const seen: number[] = [];
      for (let i = 0; i < 20; i++) {
        seen.push((await s.put(`${p}${i % 3}`, String(i))).revision);
        seen.push((await s.range(p)).revision);
        seen.push(await s.revision());
      }
      assert.ok(seen.every((r, i) => i === 0 || r >= (seen[i - 1] as number)), seen.join(','));
    });

    it('rejects an empty key with STORE_INVALID_ARGUMENT', async (t) => {
      const s = await h.open(t);
      await assert.rejects(s.put('', 'v'), { code: 'STORE_INVALID_ARGUMENT' });
    });

    it('rejects calls after close with STORE_CLOSED; close is safe twice', async () => {
      const s = await h.factory.open();
      await s.close();
      await s.close();
      await assert.rejects(s.get(`${h.prefix()}a`), { code: 'STORE_CLOSED' });
      await assert.rejects(s.put(`${h.prefix()}a`, 'v'), { code: 'STORE_CLOSED' });
    });
  });
}
