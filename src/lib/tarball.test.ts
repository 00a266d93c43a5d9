import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { access, chmod, link, lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm, stat, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { gzipSync } from 'node:zlib';
import { DIGESTS_PATH, parseDigests } from './release-digests.ts';
import { TARBALL_ERRORS, TarballError, extractTarball, inspectTarball, packDirectory, type TarballErrorCode } from './tarball.ts';
import { rawTar, rawTarGz, writeTarGz, writeZeroBomb, type RawEntry } from './tarball/test-archives.ts';

async function sandbox(t: TestContext): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'corral-tarball-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  return root;
}

/** Every path under `root`, relative, sorted (symlinks listed, not followed). */
async function tree(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true });
  return entries.map(String).sort();
}

async function refused(p: Promise<unknown>, code: TarballErrorCode, mentions?: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof TarballError, `expected a TarballError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.equal(err.status, TARBALL_ERRORS[code].status);
    if (mentions !== undefined) assert.ok(err.message.includes(mentions), `message ${JSON.stringify(err.message)} should name ${mentions}`);
    return true;
  });
}

/**
 * Inspect and extract `archive` into a sandbox laid out as <root>/in/x.tar.gz and
 * <root>/a/b/out/release: both must refuse with `code`, and afterwards the sandbox holds
 * exactly what it held before (no dest, no temp dir, nothing beside or above).
 */
async function assertHostile(t: TestContext, archive: Buffer | ((file: string) => Promise<void>), code: TarballErrorCode, mentions?: string): Promise<void> {
  const root = await sandbox(t);
  const file = join(root, 'in', 'x.tar.gz');
  await mkdir(join(root, 'in'));
  await mkdir(join(root, 'a', 'b', 'out'), { recursive: true });
  if (Buffer.isBuffer(archive)) await writeFile(file, archive);
  else await archive(file);
  const before = await tree(root);
  await refused(inspectTarball(file), code, mentions);
  await refused(extractTarball(file, join(root, 'a', 'b', 'out', 'release')), code, mentions);
  assert.deepEqual(await tree(root), before, 'nothing was written anywhere');
  assert.deepEqual(await readdir(join(root, 'a', 'b', 'out')), [], 'the destination parent is still empty');
}

const ok: RawEntry = { path: 'index.html', body: '<h1>hi</h1>' };

test('every error code has a 400/413 status and a meaning', () => {
  for (const [code, { status, meaning }] of Object.entries(TARBALL_ERRORS)) {
    assert.match(code, /^tarball_[a-z_]+$/);
    assert.ok(status === 400 || status === 413, code);
    assert.ok(meaning.length > 10, code);
  }
});

test('path traversal is refused, however it is spelled', async (t) => {
  await assertHostile(t, rawTarGz([ok, { path: '../../evil', body: 'pwned' }]), 'tarball_path_traversal', '../../evil');
  await assertHostile(t, rawTarGz([ok, { path: 'a/../../evil', body: 'pwned' }]), 'tarball_path_traversal', 'a/../../evil');
  await assertHostile(t, rawTarGz([ok, { path: '..\\..\\evil', body: 'pwned' }]), 'tarball_path_traversal');
  await assertHostile(t, rawTarGz([ok, { path: 'x', pax: { path: `ok/../../${'d/'.repeat(3)}evil` }, body: 'pwned' }]), 'tarball_path_traversal');
  await assertHostile(t, rawTarGz([{ path: '.', body: 'replace the root' }]), 'tarball_path_traversal');
});

test('absolute paths are refused: /x, \\\\host\\share, C:', async (t) => {
  const evil = join(tmpdir(), `corral-evil-${randomUUID()}`);
  await assertHostile(t, rawTarGz([ok, { path: evil, body: 'pwned' }]), 'tarball_absolute_path', evil);
  await assert.rejects(access(evil), 'nothing was written at the absolute path');
  await assertHostile(t, rawTarGz([ok, { path: '\\\\host\\share\\evil', body: 'pwned' }]), 'tarball_absolute_path');
  await assertHostile(t, rawTarGz([ok, { path: 'C:\\evil', body: 'pwned' }]), 'tarball_absolute_path');
  await assertHostile(t, rawTarGz([ok, { path: 'c:evil', body: 'pwned' }]), 'tarball_absolute_path');
});

test('symlinks that lead outside the root are refused', async (t) => {
  await assertHostile(t, rawTarGz([ok, { path: 'link', type: '2', linkpath: '../../..' }]), 'tarball_link_escape', 'link');
  await assertHostile(t, rawTarGz([ok, { path: 'link', type: '2', linkpath: '/etc' }]), 'tarball_link_escape', '/etc');
  await assertHostile(t, rawTarGz([ok, { path: 'deep/er/link', type: '2', linkpath: '../../../x' }]), 'tarball_link_escape');
  await assertHostile(t, rawTarGz([ok, { path: 'link', type: '2', linkpath: 'C:\\Windows' }]), 'tarball_link_escape');
  await assertHostile(t, rawTarGz([ok, { path: 'link', type: '2', linkpath: '..\\..' }]), 'tarball_link_escape');
});

test('symlinks that escape by way of other symlinks are refused', async (t) => {
  // Each target is inside the root read lexically, but not once the kernel follows the links.
  await assertHostile(t, rawTarGz([{ path: 'b', type: '2', linkpath: '.' }, { path: 'a', type: '2', linkpath: 'b/../x' }]), 'tarball_link_escape', '"a"');
  await assertHostile(t, rawTarGz([
    { path: 'sub/up', type: '2', linkpath: '..' },
    { path: 'esc', type: '2', linkpath: 'sub/up/..' },
  ]), 'tarball_link_escape', 'esc');
  await assertHostile(t, rawTarGz([{ path: 'l1', type: '2', linkpath: 'l2' }, { path: 'l2', type: '2', linkpath: 'l1' }]), 'tarball_link_escape', 'loop');
  // On a case-insensitive file system "b" would be the link "B".
  await assertHostile(t, rawTarGz([{ path: 'B', type: '2', linkpath: '.' }, { path: 'a', type: '2', linkpath: 'b/../x' }]), 'tarball_link_escape');
});

test('nothing can be written through a symlink from the same archive', async (t) => {
  await assertHostile(t, rawTarGz([{ path: 'link', type: '2', linkpath: '/etc' }, { path: 'link/passwd', body: 'root::0:0::/:/bin/sh' }]), 'tarball_link_escape', '/etc');
  await assertHostile(t, rawTarGz([{ path: 'a', type: '2', linkpath: '.' }, { path: 'a/../../x', body: 'pwned' }]), 'tarball_path_traversal');
  await assertHostile(t, rawTarGz([{ path: 'a', type: '2', linkpath: 'sub' }, { path: 'a/x', body: 'through' }]), 'tarball_path_through_link', 'a/x');
  await assertHostile(t, rawTarGz([{ path: 'a/x', body: 'first' }, { path: 'a', type: '2', linkpath: '.' }]), 'tarball_path_through_link');
  await assertHostile(t, rawTarGz([{ path: 'L', type: '2', linkpath: 'sub' }, { path: 'l/x', body: 'case' }]), 'tarball_path_conflict');
  await assertHostile(t, rawTarGz([{ path: 'a', type: '2', linkpath: 'sub' }, { path: 'a', body: 'replace the link' }]), 'tarball_path_conflict');
});

test('duplicate and conflicting entries are refused', async (t) => {
  await assertHostile(t, rawTarGz([ok, ok]), 'tarball_path_conflict', 'index.html');
  await assertHostile(t, rawTarGz([ok, { path: 'INDEX.html', body: 'x' }]), 'tarball_path_conflict');
  await assertHostile(t, rawTarGz([{ path: 'f', body: 'file' }, { path: 'f/x', body: 'beneath a file' }]), 'tarball_path_conflict', 'f/x');
});

test('hard links, devices, FIFOs and unknown types are refused', async (t) => {
  await assertHostile(t, rawTarGz([ok, { path: 'hard', type: '1', linkpath: 'index.html' }]), 'tarball_hardlink', 'hard');
  await assertHostile(t, rawTarGz([ok, { path: 'hard', type: '1', linkpath: '/etc/passwd' }]), 'tarball_hardlink');
  await assertHostile(t, rawTarGz([ok, { path: 'null', type: '3' }]), 'tarball_special_file', 'null');
  await assertHostile(t, rawTarGz([ok, { path: 'sda', type: '4' }]), 'tarball_special_file', 'sda');
  await assertHostile(t, rawTarGz([ok, { path: 'pipe', type: '6' }]), 'tarball_special_file', 'pipe');
  await assertHostile(t, rawTarGz([ok, { path: 'dumpdir', type: 'D' }]), 'tarball_special_file');
  await assertHostile(t, rawTarGz([ok, { path: 'sparse', type: 'S', body: 'x' }]), 'tarball_special_file', 'sparse');
});

test('.corral at the archive root is Corral\'s own (the release digests): refused in any letter case, allowed deeper', async (t) => {
  await assertHostile(t, rawTarGz([ok, { path: '.corral/digests.json', body: '{}' }]), 'tarball_reserved_name', '.corral/digests.json');
  await assertHostile(t, rawTarGz([ok, { path: './.corral/', type: '5' }]), 'tarball_reserved_name');
  await assertHostile(t, rawTarGz([ok, { path: '.CORRAL', body: 'x' }]), 'tarball_reserved_name');
  await assertHostile(t, rawTarGz([ok, { path: '.corral', type: '2', linkpath: 'index.html' }]), 'tarball_reserved_name');
  await assertHostile(t, rawTarGz([ok, { path: 'a/../.corral/x', body: 'x' }]), 'tarball_reserved_name');
  const root = await sandbox(t);
  const file = join(root, 'r.tar.gz');
  await writeTarGz(file, [ok, { path: 'docs/.corral/x', body: 'deeper is the site\'s' }, { path: '.corrals', body: 'another name' }]);
  assert.ok((await extractTarball(file, join(root, 'rel'))).created);
});

test('digests: extraction writes the sha256 and size of every file, small and streamed, in .corral/digests.json', async (t) => {
  const root = await sandbox(t);
  const file = join(root, 'r.tar.gz');
  const large = randomBytes(700 * 1024); // written chunk by chunk (over SMALL_FILE_BYTES)
  await writeTarGz(file, [
    ok,
    { path: 'css/', type: '5' },
    { path: 'css/site.css', body: 'a{}' },
    { path: 'empty.txt', body: '' },
    { path: 'link.html', type: '2', linkpath: 'index.html' },
    { path: 'big.bin', body: large },
  ]);
  const sha = (b: string | Buffer): string => createHash('sha256').update(b).digest('hex');
  const dest = join(root, 'rel');
  assert.ok((await extractTarball(file, dest, undefined, { digests: true })).created);
  const digests = parseDigests(await readFile(join(dest, DIGESTS_PATH), 'utf8'));
  assert.deepEqual([...digests].sort(([a], [b]) => (a < b ? -1 : 1)), [
    ['big.bin', { size: large.length, sha256: sha(large) }],
    ['css/site.css', { size: 3, sha256: sha('a{}') }],
    ['empty.txt', { size: 0, sha256: sha('') }],
    ['index.html', { size: ok.body!.length, sha256: sha(ok.body as string) }],
  ], 'regular files only: a symlink is served as its target');
  assert.equal((await lstat(join(dest, '.corral'))).mode & 0o777, 0o755);
  assert.equal((await lstat(join(dest, DIGESTS_PATH))).mode & 0o777, 0o644, 'readable by the VS that serves the release');
  const plain = join(root, 'plain');
  await extractTarball(file, plain);
  await assert.rejects(access(join(plain, '.corral')), 'none unless asked (a farm backup is not a release)');
  assert.throws(() => parseDigests('{"format":"corral-release-digests","version":1,"files":{"x":[1,"nothex"]}}'), /malformed digest/);
  assert.throws(() => parseDigests('{"files":{}}'), /not a corral-release-digests file/);
});

test('a gzip bomb stops early on the expansion ratio, without inflating it all', async (t) => {
  const started = Date.now();
  await assertHostile(t, (file) => writeZeroBomb(file, 200 * 1024 * 1024), 'tarball_expansion_ratio');
  const root = await sandbox(t);
  const file = join(root, 'bomb.tar.gz');
  await writeZeroBomb(file, 200 * 1024 * 1024);
  assert.ok((await stat(file)).size < 400 * 1024, 'the bomb is small');
  await assert.rejects(inspectTarball(file), (err: Error) => {
    const inflated = /\((\d+\.\d) MiB from/.exec(err.message);
    assert.ok(inflated, err.message);
    assert.ok(Number(inflated[1]) < 20, `stopped after ${inflated[1]} MiB`);
    return true;
  });
  assert.ok(Date.now() - started < 30_000);
});

test('size and count limits', async (t) => {
  const files = Array.from({ length: 10 }, (_, i) => ({ path: `f${i}.txt`, body: 'x' }));
  const root = await sandbox(t);
  const file = join(root, 'x.tar.gz');
  await writeTarGz(file, files);
  await refused(inspectTarball(file, { maxEntries: 5 }), 'tarball_too_many_files');
  assert.equal((await inspectTarball(file, { maxEntries: 10 })).files, 10);
  await refused(inspectTarball(file, { maxCompressedBytes: 100 }), 'tarball_too_large');

  // Unpacked size: refused from the header (before the body inflates) and while inflating.
  const big = join(root, 'big.tar.gz');
  await writeTarGz(big, [{ path: 'zeros', body: Buffer.alloc(3 * 1024 * 1024) }]);
  await refused(inspectTarball(big, { maxUnpackedBytes: 1024 * 1024, maxExpansionRatio: 1e9 }), 'tarball_too_large', 'zeros');
  await refused(inspectTarball(big, { maxUnpackedBytes: 1024 * 1024 + 1000, maxExpansionRatio: 1e9 }), 'tarball_too_large');
  await refused(inspectTarball(big, { ratioFreeBytes: 1024 * 1024 }), 'tarball_expansion_ratio');
  assert.equal((await inspectTarball(big)).unpackedBytes, 3 * 1024 * 1024, 'small releases are exempt from the ratio');

  await assert.rejects(inspectTarball(file, { maxFiles: 3 } as never), /unknown tarball limit/);
  await assert.rejects(inspectTarball(file, { maxEntries: -1 }), /positive/);
});

test('over-long paths and names are refused', async (t) => {
  await assertHostile(t, rawTarGz([ok, { path: 'x', pax: { path: 'd/'.repeat(600) + 'f' }, body: 'deep' }]), 'tarball_path_too_long');
  await assertHostile(t, rawTarGz([ok, { path: 'x', pax: { path: 'n'.repeat(256) }, body: 'long name' }]), 'tarball_path_too_long');
  await assertHostile(t, rawTarGz([ok, { path: 'link', type: '2', linkpath: 'x', pax: { linkpath: './'.repeat(600) } }]), 'tarball_path_too_long');
});

test('truncated, damaged and non-gzip files are corrupt', async (t) => {
  const good = rawTarGz([ok, { path: 'big.bin', body: Buffer.from(Array.from({ length: 50_000 }, (_, i) => (i * 7919) % 251)) }]);
  await assertHostile(t, good.subarray(0, Math.floor(good.length / 2)), 'tarball_corrupt', 'truncated');
  await assertHostile(t, good.subarray(0, good.length - 4), 'tarball_corrupt');
  await assertHostile(t, Buffer.from('this is not a tarball at all, just some text'), 'tarball_corrupt', 'gzip');
  await assertHostile(t, Buffer.alloc(0), 'tarball_corrupt');
  await assertHostile(t, rawTar([ok]), 'tarball_corrupt', 'gzip');
  await assertHostile(t, gzipSync(Buffer.from('x'.repeat(5000))), 'tarball_corrupt');
  await assertHostile(t, rawTarGz([ok], { eof: false }), 'tarball_corrupt', 'end-of-archive');
  await assertHostile(t, gzipSync(rawTarGz([ok])), 'tarball_corrupt', 'gzip inside gzip');
  const badSum = rawTar([ok]);
  badSum[0] = 'J'.charCodeAt(0);
  await assertHostile(t, gzipSync(badSum), 'tarball_corrupt');
  const cutTar = rawTar([{ path: 'f', body: 'y'.repeat(2000) }]).subarray(0, 1024);
  await assertHostile(t, gzipSync(cutTar), 'tarball_corrupt');
});

test('an archive of only zero blocks holds nothing: empty, not corrupt', async (t) => {
  await assertHostile(t, rawTarGz([]), 'tarball_empty');
  await assertHostile(t, gzipSync(Buffer.alloc(10240)), 'tarball_empty', 'no entries'); // GNU tar's empty archive: one 10 KiB record
  await assertHostile(t, gzipSync(Buffer.alloc(512)), 'tarball_empty');
  await assertHostile(t, gzipSync(Buffer.alloc(0)), 'tarball_empty');
  await assertHostile(t, gzipSync(Buffer.alloc(1000)), 'tarball_corrupt', 'not a valid tar');
  const zeros = gzipSync(Buffer.alloc(1024 * 1024));
  await assertHostile(t, zeros.subarray(0, zeros.length - 4), 'tarball_corrupt', 'gzip');
});

test('extracts a release: nested dirs, safe links (also through links), exact modes', async (t) => {
  const root = await sandbox(t);
  const file = join(root, 'release.tar.gz');
  const large = randomBytes(700 * 1024); // over the size that extraction buffers: written as it streams
  await writeTarGz(file, [
    { path: './', type: '5' },
    { path: 'index.html', body: '<h1>hi</h1>', mode: 0o600 },
    { path: 'bin/', type: '5', mode: 0o700 },
    { path: 'bin/start', body: '#!/bin/sh\necho hi\n', mode: 0o4755 },
    { path: 'bin/', type: '5' },
    { path: 'assets\\css\\site.css', body: 'a{}', mode: 0o2666 },
    { path: 'current', type: '2', linkpath: 'assets' },
    { path: 'assets/up', type: '2', linkpath: '../index.html' },
    { path: 'node_modules/.pnpm/foo@1/node_modules/foo/cli.js', body: 'console.log(1)', mode: 0o775 },
    { path: 'node_modules/foo', type: '2', linkpath: '.pnpm/foo@1/node_modules/foo' },
    { path: 'node_modules/.bin/foo', type: '2', linkpath: '../foo/cli.js' },
    { path: 'dangling', type: '2', linkpath: 'not/there' },
    { path: 'self', type: '2', linkpath: '.' },
    { path: 'large.bin', body: large },
  ]);
  const summary = await inspectTarball(file);
  assert.equal(summary.files, 5);
  assert.equal(summary.entries, 14);
  assert.equal(summary.unpackedBytes, '<h1>hi</h1>'.length + '#!/bin/sh\necho hi\n'.length + 'a{}'.length + 'console.log(1)'.length + large.length);

  const dest = join(root, 'releases', 'abc');
  const result = await extractTarball(file, dest);
  assert.ok(result.created);
  assert.deepEqual(result.summary, summary);
  assert.deepEqual(await readdir(join(root, 'releases')), ['abc'], 'no temp dir left beside the release');
  assert.equal(await readFile(join(dest, 'index.html'), 'utf8'), '<h1>hi</h1>');
  assert.equal(await readFile(join(dest, 'assets/css/site.css'), 'utf8'), 'a{}');
  assert.equal(await readFile(join(dest, 'current/up'), 'utf8'), '<h1>hi</h1>');
  assert.equal(await readFile(join(dest, 'node_modules/.bin/foo'), 'utf8'), 'console.log(1)');
  assert.equal(await readlink(join(dest, 'node_modules/foo')), '.pnpm/foo@1/node_modules/foo');
  assert.equal(await readlink(join(dest, 'dangling')), 'not/there');
  assert.deepEqual(await readFile(join(dest, 'large.bin')), large);
  const mode = async (p: string) => (await lstat(join(dest, p))).mode & 0o7777;
  assert.equal(await mode('index.html'), 0o644);
  assert.equal(await mode('bin/start'), 0o755, 'no setuid');
  assert.equal(await mode('assets/css/site.css'), 0o644, 'no setgid, no group/world write');
  assert.equal(await mode('node_modules/.pnpm/foo@1/node_modules/foo/cli.js'), 0o755);
  assert.equal(await mode('bin'), 0o755);
  assert.equal(await mode(''), 0o755);

  // Content-addressed: an existing destination is taken as done, and left alone.
  await writeFile(join(dest, 'marker'), 'kept');
  assert.deepEqual(await extractTarball(file, dest), { created: false });
  assert.equal(await readFile(join(dest, 'marker'), 'utf8'), 'kept');
});

test('concurrent extractions of one release: exactly one creates it, no temp dir is left', async (t) => {
  const root = await sandbox(t);
  const file = join(root, 'r.tar.gz');
  await writeTarGz(file, [ok, { path: 'a/b/c.txt', body: 'c' }]);
  const dest = join(root, 'rel');
  const results = await Promise.all([1, 2, 3].map(() => extractTarball(file, dest)));
  assert.equal(results.filter((r) => r.created).length, 1);
  assert.deepEqual((await readdir(root)).sort(), ['r.tar.gz', 'rel']);
  assert.equal(await readFile(join(dest, 'a/b/c.txt'), 'utf8'), 'c');
});

test('packDirectory → extractTarball round trip; .git, a farm folder (.corral: its admin token) and node_modules/.cache are skipped', async (t) => {
  const root = await sandbox(t);
  const src = join(root, 'site');
  await mkdir(join(src, 'css'), { recursive: true });
  await mkdir(join(src, 'empty'));
  await mkdir(join(src, '.git'));
  await mkdir(join(src, 'node_modules/.cache/babel'), { recursive: true });
  await mkdir(join(src, 'node_modules/pkg'), { recursive: true });
  await writeFile(join(src, 'index.html'), '<h1>site</h1>');
  await writeFile(join(src, 'css/site.css'), 'body{}');
  await writeFile(join(src, 'run.sh'), '#!/bin/sh\n');
  await chmod(join(src, 'run.sh'), 0o755);
  await writeFile(join(src, '.git/HEAD'), 'ref: refs/heads/main');
  await mkdir(join(src, '.corral'));
  await writeFile(join(src, '.corral/admin-token'), 'secret');
  await writeFile(join(src, 'node_modules/.cache/babel/x.json'), '{}');
  await writeFile(join(src, 'node_modules/pkg/index.js'), 'module.exports = 1');
  await link(join(src, 'index.html'), join(src, 'hardlinked.html'));
  await symlink('css/site.css', join(src, 'style.css'));
  const out = join(src, 'release.tar.gz'); // inside the folder it packs: must not pack itself

  const summary = await packDirectory(src, out);
  assert.equal(summary.files, 5);
  const dest = join(root, 'unpacked');
  assert.ok((await extractTarball(out, dest)).created);
  assert.deepEqual(await tree(dest), [
    'css', 'css/site.css', 'empty', 'hardlinked.html', 'index.html', 'node_modules', 'node_modules/pkg', 'node_modules/pkg/index.js', 'run.sh', 'style.css',
  ]);
  assert.equal(await readFile(join(dest, 'hardlinked.html'), 'utf8'), '<h1>site</h1>');
  assert.equal(await readlink(join(dest, 'style.css')), 'css/site.css');
  assert.equal((await stat(join(dest, 'run.sh'))).mode & 0o777, 0o755);

  const first = await readFile(out);
  await packDirectory(src, out);
  assert.deepEqual(await readFile(out), first, 'packing is reproducible (and never packs its own output)');
});

test('packDirectory refuses what an upload would refuse, and leaves no file', async (t) => {
  const root = await sandbox(t);
  const src = join(root, 'site');
  await mkdir(src);
  await writeFile(join(src, 'index.html'), 'x');
  await symlink('/etc/passwd', join(src, 'passwd'));
  await refused(packDirectory(src, join(root, 'out.tar.gz')), 'tarball_link_escape', 'passwd');
  assert.deepEqual((await readdir(root)).sort(), ['site']);
  await rm(join(src, 'passwd'));
  await rm(join(src, 'index.html'));
  await refused(packDirectory(src, join(root, 'out.tar.gz')), 'tarball_empty');
});

test('extraction checks the file again: a tarball changed after inspection cannot slip through', async (t) => {
  // The second pass re-applies every per-entry check; a file truncated between passes is corrupt.
  const root = await sandbox(t);
  const file = join(root, 'r.tar.gz');
  await writeTarGz(file, [ok]);
  await truncate(file, 20);
  await refused(extractTarball(file, join(root, 'rel')), 'tarball_corrupt');
  assert.deepEqual(await readdir(root), ['r.tar.gz']);
});
