// An engine unpacks a release within the limits it was accepted under (its record's
// `limits`), not the library's defaults: a release too large for them is refused with the
// tarball's own error, and one whose record has none, names other content or is gone is
// unpacked with the defaults.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { packDirectory, TarballError } from '../lib/tarball.ts';
import { keys, type Release } from '../model/index.ts';
import { openSqliteStore } from '../store/sqlite-store.ts';
import { createReleaseCache, unpackRelease } from './release-cache.ts';
import { releaseLimitsReader } from './release-limits.ts';
import { onCleanup, tempDir } from './testing.ts';

const KiB = 1024;

test('the engine unpacks a release within the limits recorded in its release, and with the defaults without them', async (t) => {
  const dir = await tempDir(t);
  const store = await openSqliteStore(path.join(dir, 'store.db'));
  onCleanup(t, () => store.close());
  const site = path.join(dir, 'site');
  await mkdir(site);
  await writeFile(path.join(site, 'random.bin'), randomBytes(200 * KiB));
  const tarball = path.join(dir, 'site.tar.gz');
  await packDirectory(site, tarball);
  const sha = 'a'.repeat(64);
  const record = (id: string, extra: Partial<Release>): Promise<unknown> => store.put(keys.release('blog', id), JSON.stringify({
    id, site: 'blog', number: 1, sha256: sha, size: 1, files: 1, unpackedBytes: 1, createdAt: '', ...extra,
  }));
  const cache = createReleaseCache({ dir, fetchBlob: async () => tarball, extract: unpackRelease, limitsOf: releaseLimitsReader(store) });

  // accepted under 64 KiB unpacked (a farm with --max-release-unpacked 64K): this content does not fit
  await record('v1', { limits: { maxCompressedBytes: 1024 * KiB, maxUnpackedBytes: 64 * KiB } });
  await assert.rejects(cache.ensure(sha, { site: 'blog', release: 'v1' }), (err: unknown) => {
    assert.ok(err instanceof TarballError, String(err));
    assert.equal(err.code, 'tarball_too_large');
    assert.match(err.message, /unpacks to more than 64\.0 KiB \(the limit\)/);
    return true;
  });
  assert.deepEqual(await cache.list(), [], 'nothing unpacked');

  // accepted under 256 KiB: it fits (the same content, tried again)
  await record('v1', { limits: { maxCompressedBytes: 1024 * KiB, maxUnpackedBytes: 256 * KiB } });
  await cache.ensure(sha, { site: 'blog', release: 'v1' });
  assert.deepEqual(await cache.list(), [sha]);

  // the defaults (1 GiB): a record without limits (recorded before they were), naming other content, or gone
  const reader = releaseLimitsReader(store);
  await record('v2', {});
  assert.equal(await reader({ site: 'blog', release: 'v2', sha256: sha }), undefined);
  await record('v3', { sha256: 'b'.repeat(64), limits: { maxCompressedBytes: 1, maxUnpackedBytes: 1 } });
  assert.equal(await reader({ site: 'blog', release: 'v3', sha256: sha }), undefined);
  await record('v4', { limits: { maxCompressedBytes: -1, maxUnpackedBytes: 'lots' } as never });
  assert.equal(await reader({ site: 'blog', release: 'v4', sha256: sha }), undefined, 'limits that are not sizes are not used');
  assert.equal(await reader({ site: 'blog', release: 'v9', sha256: sha }), undefined);
  await record('v5', { limits: { maxCompressedBytes: 1024 * KiB, maxUnpackedBytes: 64 * KiB } });
  assert.deepEqual(await reader({ site: 'blog', release: 'v5', sha256: sha }), { maxCompressedBytes: 1024 * KiB, maxUnpackedBytes: 64 * KiB });

  const other = createReleaseCache({ dir: path.join(dir, 'other'), fetchBlob: async () => tarball, extract: unpackRelease, limitsOf: reader });
  await other.ensure(sha, { site: 'blog', release: 'v2' });
  assert.equal((await readdir(path.join(dir, 'other', 'releases', sha))).includes('random.bin'), true);
});
