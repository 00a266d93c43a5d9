import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { DIGESTS_PATH, parseDigests } from '../lib/release-digests.ts';
import { packDirectory } from '../lib/tarball.ts';
import { createReleaseCache, unpackRelease } from './release-cache.ts';
import { tempDir } from './testing.ts';

const sha = (c: string) => c.repeat(64);

test('prune removes the releases not kept, never one being unpacked, and an ensure after it unpacks again', async (t) => {
  const dir = await tempDir(t);
  const extracted: string[] = [];
  let unblock: () => void = () => undefined;
  const blocked = new Promise<void>((r) => (unblock = r));
  const dropped: string[] = [];
  const cache = createReleaseCache({
    dir,
    fetchBlob: async (s) => `/blobs/${s}`,
    extract: async (tarball, dest) => {
      if (tarball.endsWith(sha('c'))) await blocked;
      extracted.push(path.basename(dest));
      await mkdir(dest, { recursive: true });
      await writeFile(path.join(dest, 'index.html'), 'x');
    },
    dropBlob: async (s) => void dropped.push(s),
  });
  await cache.ensure(sha('a'));
  await cache.ensure(sha('b'));
  assert.deepEqual(dropped, [sha('a'), sha('b')], 'the fetched tarball is dropped once unpacked');
  const slow = cache.ensure(sha('c'));
  await mkdir(path.join(dir, 'releases', `.${sha('c')}.partial-x`), { recursive: true });
  await mkdir(path.join(dir, 'releases', `.${sha('d')}.partial-x`), { recursive: true });

  assert.deepEqual(await cache.prune(new Set([sha('a')])), [sha('b')]);
  const left = await readdir(path.join(dir, 'releases'));
  assert.ok(left.includes(`.${sha('c')}.partial-x`), 'the temp dir of the release being unpacked stays');
  assert.ok(!left.includes(`.${sha('d')}.partial-x`), "a crash's temp dir goes, even while another release unpacks");
  await rm(path.join(dir, 'releases', `.${sha('c')}.partial-x`), { recursive: true });
  unblock();
  await slow;
  assert.deepEqual((await cache.list()).sort(), [sha('a'), sha('c')], 'the release being unpacked was not pruned');

  assert.deepEqual(await cache.prune(new Set()), [sha('a'), sha('c')].sort());
  assert.deepEqual(await readdir(path.join(dir, 'releases')), [], 'nothing else left');
  await cache.ensure(sha('a'));
  assert.deepEqual(extracted, [sha('a'), sha('b'), sha('c'), sha('a')], 'fetched and unpacked again when needed again');
});

test('the engine unpacks a release with the digests of its files (the web runtime\'s ETags)', async (t) => {
  const dir = await tempDir(t);
  const site = path.join(dir, 'site');
  await mkdir(path.join(site, 'css'), { recursive: true });
  await writeFile(path.join(site, 'index.html'), '<h1>hi</h1>');
  await writeFile(path.join(site, 'css/site.css'), 'a{}');
  const tarball = path.join(dir, 'site.tar.gz');
  await packDirectory(site, tarball);
  const cache = createReleaseCache({ dir, fetchBlob: async () => tarball, extract: unpackRelease });
  const release = await cache.ensure(sha('e'));
  const digests = parseDigests(await readFile(path.join(release, DIGESTS_PATH), 'utf8'));
  assert.deepEqual([...digests.keys()].sort(), ['css/site.css', 'index.html']);
  assert.equal(digests.get('css/site.css')?.size, 3);
});
