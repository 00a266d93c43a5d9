import assert from 'node:assert/strict';
import { stat, utimes } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { describe, it, type TestContext } from 'node:test';
import { silentLogger } from '../lib/log.ts';
import { planBlobGc, startBlobGc } from './blob-gc.ts';
import type { BlobEntry } from './blob-store.ts';
import { makeTarball, startController, staticSite, type Harness } from './test-harness.ts';

const T = 1_000_000;
const GRACE = 600_000;
const blob = (sha256: string, ageMs: number): BlobEntry => ({ sha256, size: 1, mtimeMs: T - ageMs });

describe('planBlobGc', () => {
  // input and expected decision side by side
  const cases: { name: string; blobs: BlobEntry[]; referenced: string[]; remove: string[]; nextDueMs?: number }[] = [
    { name: 'a referenced blob stays, however old', blobs: [blob('a', 10 * GRACE)], referenced: ['a'], remove: [] },
    { name: 'an unreferenced blob past the grace goes', blobs: [blob('a', GRACE)], referenced: [], remove: ['a'] },
    { name: 'an unreferenced blob in its grace (an upload not yet recorded) stays, due later', blobs: [blob('a', GRACE - 1000)], referenced: [], remove: [], nextDueMs: 1000 },
    {
      name: 'a blob shared by two sites stays while one release names it; the deleted site\'s own goes',
      blobs: [blob('shared', 2 * GRACE), blob('deleted-only', 2 * GRACE), blob('young', 10), blob('younger', 5)],
      referenced: ['shared'],
      remove: ['deleted-only'],
      nextDueMs: GRACE - 10,
    },
    { name: 'nothing stored, nothing to do', blobs: [], referenced: ['a'], remove: [] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const plan = planBlobGc(c.blobs, new Set(c.referenced), T, GRACE);
      assert.deepEqual(plan.remove.map((b) => b.sha256), c.remove);
      assert.equal(plan.nextDueMs, c.nextDueMs);
    });
  }
});

async function upload(h: Harness, client: Harness['admin'], site: string, tarball: Buffer): Promise<string> {
  const res = await client.upload(`/v1/sites/${site}/releases`, tarball);
  assert.equal(res.status, 201, res.body);
  return res.json.release.sha256 as string;
}

async function collector(t: TestContext, h: Harness, graceMs: number) {
  const gc = await startBlobGc({ store: h.store, blobs: h.blobs, log: silentLogger, graceMs, intervalMs: 3_600_000 });
  t.after(() => gc.close());
  return gc;
}

describe('startBlobGc', () => {
  it('deletes the blobs of a deleted site, but not one another site\'s release shares', async (t) => {
    const h = await startController(t);
    const acme = await h.customer('acme');
    const other = await h.customer('other');
    assert.equal((await acme.post('/v1/sites', staticSite('alpha'))).status, 201);
    assert.equal((await other.post('/v1/sites', staticSite('bravo'))).status, 201);
    const shared = await makeTarball(t, { 'index.html': 'same for both' });
    const own = await makeTarball(t, { 'index.html': 'only a' });
    const sharedSha = await upload(h, acme, 'alpha', shared);
    const ownSha = await upload(h, acme, 'alpha', own);
    assert.equal(await upload(h, other, 'bravo', shared), sharedSha, 'content-addressed: one blob for both sites');
    const gc = await collector(t, h, 0);

    assert.deepEqual(await gc.runOnce(), [], 'every blob is referenced');
    assert.equal((await acme.delete('/v1/sites/alpha')).status, 204);
    assert.deepEqual(await gc.runOnce(), [ownSha]);
    assert.equal(await h.blobs.has(ownSha), false);
    assert.equal(await h.blobs.has(sharedSha), true, 'site bravo still names it');
    const fetched = await h.admin.get(`/v1/blobs/${sharedSha}`);
    assert.equal(fetched.status, 200, 'and engines can still fetch it');

    assert.equal((await other.delete('/v1/sites/bravo')).status, 204);
    assert.deepEqual(await gc.runOnce(), [sharedSha]);
    assert.deepEqual(await h.blobs.list(), []);
  });

  it('keeps an unreferenced blob for the grace (an upload between storing and recording it)', async (t) => {
    const h = await startController(t);
    const pending = await h.blobs.putStream(Readable.from([Buffer.from('an upload in flight')]), { maxBytes: 1024 });
    const gc = await collector(t, h, 60_000);
    assert.deepEqual(await gc.runOnce(), []);
    assert.equal(await h.blobs.has(pending.sha256), true);
    const old = new Date(Date.now() - 120_000);
    await utimes(pending.path, old, old);
    assert.deepEqual(await gc.runOnce(), [pending.sha256], 'past the grace it goes');
  });

  it('an upload holds its blob until its release record is written, whatever the grace', async (t) => {
    const h = await startController(t);
    const uploading = await h.blobs.putStream(Readable.from([Buffer.from('not recorded yet')]), { maxBytes: 1024, hold: true });
    const gc = await collector(t, h, 0);
    assert.deepEqual(await gc.runOnce(), [], 'held');
    uploading.unhold();
    uploading.unhold();
    assert.deepEqual(await gc.runOnce(), [uploading.sha256], 'let go (a refused upload, say)');
  });

  it('a blob its upload let go of after the collector read the records is not deleted (its record came after the read)', async (t) => {
    const h = await startController(t);
    const up = await h.blobs.putStream(Readable.from([Buffer.from('fresh release')]), { maxBytes: 1024, hold: true });
    const listed = (await h.blobs.list([up.sha256]))[0]!;
    const mark = h.blobs.letGoMark(); // the collector reads the records: no release names it yet
    up.unhold(); // the upload wrote its release record, then let go
    assert.equal(await h.blobs.removeIfOlder(up.sha256, listed.mtimeMs, mark), false, 'kept: a record the read did not see may name it');
    assert.equal(await h.blobs.has(up.sha256), true);
    // a later pass, whose read would see the record if there were one, may take it
    assert.equal(await h.blobs.removeIfOlder(up.sha256, listed.mtimeMs, h.blobs.letGoMark()), true);
  });

  it('a blob written again after it was listed (the same content uploaded anew) is not deleted', async (t) => {
    const h = await startController(t);
    const first = await h.blobs.putStream(Readable.from([Buffer.from('same bytes')]), { maxBytes: 1024 });
    const old = new Date(Date.now() - 120_000);
    await utimes(first.path, old, old);
    const listed = (await h.blobs.list())[0]!;
    await h.blobs.putStream(Readable.from([Buffer.from('same bytes')]), { maxBytes: 1024 }); // a new upload renames over it
    assert.equal(await h.blobs.removeIfOlder(listed.sha256, listed.mtimeMs), false);
    assert.ok((await stat(first.path)).isFile(), 'the new upload\'s blob is in place');
    assert.equal(await h.blobs.removeIfOlder(listed.sha256, Date.now() + 1000), true);
    assert.equal(await h.blobs.has(listed.sha256), false);
  });
});
