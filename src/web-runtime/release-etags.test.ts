// ETags from the release's digests (release-etags.ts), over real HTTP on releases unpacked as an
// engine unpacks them: the same bytes keep their ETag across releases and engines whatever the
// file times, so a revalidation after a deploy is a 304; changed bytes change it; each
// representation (the file, its `.br`/`.gz`, a body compressed here) has its own; If-Range
// compares strongly; a folder without digests keeps weak ETags; the digests stay private.
import assert from 'node:assert/strict';
import { appendFile, readdir, stat, utimes } from 'node:fs/promises';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { writeDigests } from '../lib/release-digests.ts';
import { ReleaseEtags } from './release-etags.ts';
import { rawRequest, startWebServer, tempRelease, tempSiteDir } from './testing.ts';

const CSS = 'body { color: #333; margin: 0 auto; }\n'.repeat(200); // compressed here (256 B – 1 MiB)
const JS = 'export const answer = 42;\n'.repeat(100);
const STRONG = /^"[A-Za-z0-9_-]{22}"$/;

async function serve(t: TestContext, root: string): Promise<number> {
  return startWebServer(t, [{ domains: [], root }]);
}

/** Every file of the release (its digests aside) dated `when`: two releases unpacked at different times. */
async function dateAll(dir: string, when: Date): Promise<void> {
  for (const rel of await readdir(dir, { recursive: true })) {
    const file = path.join(dir, rel);
    if (!rel.startsWith('.corral') && (await stat(file)).isFile()) await utimes(file, when, when);
  }
}

test('the same bytes in a new release keep their ETag (a 304 for the old one); changed bytes get a new one', async (t) => {
  const v1 = await tempRelease(t, { 'index.html': '<h1>v1</h1>', 'style.css': CSS, 'js/app.js': JS });
  const v2 = await tempRelease(t, { 'index.html': '<h1>v2</h1>', 'style.css': CSS, 'js/app.js': JS });
  await dateAll(v1, new Date('2020-01-01T00:00:00Z'));
  await dateAll(v2, new Date('2024-06-01T00:00:00Z'));
  const [old, now] = [await serve(t, v1), await serve(t, v2)];
  for (const file of ['/style.css', '/js/app.js']) {
    const before = await rawRequest(old, file);
    const after = await rawRequest(now, file);
    assert.match(before.headers.etag ?? '', STRONG, file);
    assert.equal(after.headers.etag, before.headers.etag, `${file}: the same bytes, the same ETag`);
    assert.notEqual(after.headers['last-modified'], before.headers['last-modified'], `${file}: unpacked at another time`);
    const revalidated = await rawRequest(now, file, { headers: { 'if-none-match': before.headers.etag! } });
    assert.equal(revalidated.status, 304, `${file}: a visitor's copy from the old release is still good`);
    assert.equal(revalidated.body.length, 0);
  }
  const page = await rawRequest(old, '/');
  const newPage = await rawRequest(now, '/', { headers: { 'if-none-match': page.headers.etag! } });
  assert.equal(newPage.status, 200, 'changed bytes: the old ETag no longer matches');
  assert.equal(newPage.text, '<h1>v2</h1>');
  assert.match(newPage.headers.etag ?? '', STRONG);
  assert.notEqual(newPage.headers.etag, page.headers.etag);
});

test('a file, its own .br and .gz, and its bodies compressed here each have their own ETag', async (t) => {
  const release = await tempRelease(t, { 'app.js': JS, 'app.js.br': brotliCompressSync(JS), 'app.js.gz': gzipSync(JS), 'style.css': CSS });
  const port = await serve(t, release);
  const ask = (file: string, accept?: string, inm?: string) =>
    rawRequest(port, file, { headers: { ...(accept ? { 'accept-encoding': accept } : {}), ...(inm ? { 'if-none-match': inm } : {}) } });
  for (const file of ['/app.js', '/style.css']) {
    const plain = await ask(file);
    const br = await ask(file, 'br');
    const gz = await ask(file, 'gzip');
    assert.equal(plain.headers['content-encoding'], undefined, file);
    assert.equal(br.headers['content-encoding'], 'br', file);
    assert.equal(gz.headers['content-encoding'], 'gzip', file);
    const tags = [plain, br, gz].map((r) => r.headers.etag ?? '');
    assert.equal(new Set(tags).size, 3, `${file}: ${tags.join(' ')}`);
    for (const [accept, res] of [[undefined, plain], ['br', br], ['gzip', gz]] as const) {
      assert.equal((await ask(file, accept, res.headers.etag)).status, 304, `${file} ${accept ?? 'identity'}: its own ETag validates it`);
    }
    assert.equal((await ask(file, 'br', plain.headers.etag)).status, 200, `${file}: the identity ETag does not validate a br body`);
    assert.equal((await ask(file, undefined, br.headers.etag)).status, 200, `${file}: nor a br ETag the identity body`);
  }
  // the site's own .br/.gz: strong ETags of their own bytes; compressed here: the file's, weak, marked with the coding
  assert.match((await ask('/app.js', 'br')).headers.etag ?? '', STRONG);
  const css = (await ask('/style.css')).headers.etag!;
  assert.equal((await ask('/style.css', 'br')).headers.etag, `W/${css.slice(0, -1)}-br"`);
  assert.equal((await ask('/style.css', 'gzip')).headers.etag, `W/${css.slice(0, -1)}-gzip"`);
});

test('If-Range with the current ETag gets the range (206); with an old one, or a weak one, the whole file (200)', async (t) => {
  const v1 = await tempRelease(t, { 'video.txt': 'old bytes of the file' });
  const v2 = await tempRelease(t, { 'video.txt': '0123456789abcdefghij' });
  const [old, now] = [await serve(t, v1), await serve(t, v2)];
  const current = (await rawRequest(now, '/video.txt')).headers.etag!;
  const stale = (await rawRequest(old, '/video.txt')).headers.etag!;
  const resume = (ifRange: string, extra: Record<string, string> = {}) => rawRequest(now, '/video.txt', { headers: { range: 'bytes=10-', 'if-range': ifRange, ...extra } });
  const part = await resume(current);
  assert.equal(part.status, 206);
  assert.equal(part.text, 'abcdefghij');
  assert.equal(part.headers['content-range'], 'bytes 10-19/20');
  assert.equal(part.headers.etag, current);
  for (const tag of [stale, `W/${current}`]) {
    const whole = await resume(tag);
    assert.equal(whole.status, 200, tag);
    assert.equal(whole.text, '0123456789abcdefghij');
    assert.equal(whole.headers.etag, current);
  }
  const unsatisfiable = await rawRequest(now, '/video.txt', { headers: { range: 'bytes=50-', 'if-range': stale } });
  assert.equal(unsatisfiable.status, 200, 'an If-Range that fails makes the Range ignored, a 416 too');
  const compressedOffer = await resume(current, { 'accept-encoding': 'br, gzip' });
  assert.equal(compressedOffer.status, 206, 'a range is of the file as it is, whatever the client accepts');
  assert.equal(compressedOffer.headers['content-encoding'], undefined);
});

test('a folder no engine unpacked, or a file not as its digest says, gets the weak ETag of its size and mtime; the digests are not served', async (t) => {
  const folder = await tempSiteDir(t, { 'style.css': CSS });
  assert.match((await rawRequest(await serve(t, folder), '/style.css')).headers.etag ?? '', /^W\/"/);
  const release = await tempRelease(t, { 'a.txt': 'a', 'b.txt': 'b' });
  await appendFile(path.join(release, 'b.txt'), 'changed in place');
  const port = await serve(t, release);
  assert.match((await rawRequest(port, '/a.txt')).headers.etag ?? '', STRONG);
  assert.match((await rawRequest(port, '/b.txt')).headers.etag ?? '', /^W\/"/);
  for (const p of ['/.corral/digests.json', '/.corral/', '/%2ecorral/digests.json']) assert.equal((await rawRequest(port, p)).status, 404, p);
});

test('digests are kept for at most maxFiles files of all roots, the least recently used root out, and read again when asked', async (t) => {
  const roots: string[] = [];
  for (const name of ['a', 'b', 'c']) {
    const root = await tempSiteDir(t, { 'x.txt': name });
    await writeDigests(root, new Map([['x.txt', { size: 1, sha256: name.repeat(64) }], ['y.txt', { size: 0, sha256: '0'.repeat(64) }]]));
    roots.push(root);
  }
  const etags = new ReleaseEtags(4);
  const file = { size: 1, mtimeMs: 0 };
  const tagOf = (root: string) => etags.etagFor(root, path.join(root, 'x.txt'), file);
  const first = await tagOf(roots[0]!);
  await tagOf(roots[1]!);
  assert.equal(etags.files, 4);
  await tagOf(roots[0]!); // used: roots[1] is now the least recent
  await tagOf(roots[2]!);
  assert.equal(etags.files, 4, 'one root made room');
  assert.equal(await tagOf(roots[0]!), first, 'the kept one answers as before');
  assert.match(await tagOf(roots[1]!), STRONG, 'the dropped one is read again');
  assert.match(await etags.etagFor(roots[0]!, '/elsewhere/x.txt', file), /^W\//, 'a path outside the root: no digest');
});
