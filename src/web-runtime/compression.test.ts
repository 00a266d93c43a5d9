// Compressed answers for text files (compressed.ts): Brotli or gzip as Accept-Encoding
// prefers, the same bytes once decompressed, Vary on every answer that could differ, and
// never for a Range, a type that does not compress, a file too small, or a client that
// does not ask. Tried: br, gzip, q-values (gzip preferred, br refused), identity only, HEAD,
// If-None-Match, a Range, a PNG, a 20-byte file; and the cache's bound. A site's own
// `.br`/`.gz` beside a file is sent instead, at any size (a 2 MiB bundle), as the client
// prefers among those there; never one that is a symlink (it could lead out of the site).
import assert from 'node:assert/strict';
import { open, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { CompressedFiles, MAX_BYTES } from './compressed.ts';
import { rawRequest, startWebServer, tempSiteDir } from './testing.ts';

const CSS = 'body { color: #333; margin: 0 auto; }\n'.repeat(200); // 7.8 kB, compresses well

async function serve(t: TestContext): Promise<number> {
  const files = { 'style.css': CSS, 'tiny.txt': 'small', 'logo.png': CSS, 'big.txt': 'x'.repeat(MAX_BYTES + 1) };
  return startWebServer(t, [{ domains: [], root: await tempSiteDir(t, files) }]);
}

test('a text file is sent with the coding the client prefers among br and gzip, decompressing to the file, with Vary', async (t) => {
  const port = await serve(t);
  for (const [accept, coding] of [
    ['gzip, deflate, br, zstd', 'br'], // what browsers send: br wins a tie
    ['gzip', 'gzip'],
    ['br;q=0, gzip', 'gzip'],
    ['gzip;q=1, br;q=0.5', 'gzip'],
    ['identity', undefined],
    ['br;q=0, gzip;q=0', undefined],
  ] as const) {
    const res = await rawRequest(port, '/style.css', { headers: { 'accept-encoding': accept } });
    assert.equal(res.status, 200, accept);
    assert.equal(res.headers['content-encoding'], coding, accept);
    assert.equal(res.headers.vary, 'Accept-Encoding', accept);
    assert.equal(res.headers['content-length'], String(res.body.length), accept);
    const plain = coding === 'br' ? brotliDecompressSync(res.body) : coding === 'gzip' ? gunzipSync(res.body) : res.body;
    assert.equal(plain.toString(), CSS, accept);
    if (coding) assert.ok(res.body.length < CSS.length / 5, `${accept}: ${res.body.length} bytes`);
  }
  const none = await rawRequest(port, '/style.css');
  assert.equal(none.headers['content-encoding'], undefined, 'a client that asks nothing gets the file');
  assert.equal(none.text, CSS);
});

test('HEAD says what GET sends; If-None-Match is 304 with Vary; a Range is the file as it is', async (t) => {
  const port = await serve(t);
  const headers = { 'accept-encoding': 'br' };
  const get = await rawRequest(port, '/style.css', { headers });
  const head = await rawRequest(port, '/style.css', { method: 'HEAD', headers });
  assert.equal(head.headers['content-encoding'], 'br');
  assert.equal(head.headers['content-length'], get.headers['content-length']);
  assert.equal(head.body.length, 0);
  const fresh = await rawRequest(port, '/style.css', { headers: { ...headers, 'if-none-match': get.headers.etag ?? '' } });
  assert.equal(fresh.status, 304);
  assert.equal(fresh.headers.vary, 'Accept-Encoding');
  const part = await rawRequest(port, '/style.css', { headers: { ...headers, range: 'bytes=0-3' } });
  assert.equal(part.status, 206);
  assert.equal(part.headers['content-encoding'], undefined);
  assert.equal(part.text, 'body');
});

test('never compressed: a PNG, a file under 256 bytes, a file over 1 MiB', async (t) => {
  const port = await serve(t);
  for (const path of ['/logo.png', '/tiny.txt', '/big.txt']) {
    const res = await rawRequest(port, path, { headers: { 'accept-encoding': 'br, gzip' } });
    assert.equal(res.status, 200, path);
    assert.equal(res.headers['content-encoding'], undefined, path);
    assert.equal(res.headers.vary, undefined, path);
  }
});

test('the cache keeps copies within its bound: a full one makes room only from copies unused for a while, else sends a new copy without keeping it; a file asked at once is compressed once', async (t) => {
  const dir = await tempSiteDir(t, { 'a.css': CSS, 'b.css': CSS.toUpperCase(), 'c.css': CSS.replaceAll('333', '444') });
  let clock = 1_000_000;
  const cache = new CompressedFiles(250, 200, () => clock); // room for two (100 bytes each); unused for 200 ms is stale
  const get = async (name: string) => {
    const fh = await open(join(dir, name));
    try {
      return await cache.get(fh, name, CSS.length, 'gzip');
    } finally {
      await fh.close();
    }
  };
  const [x, y] = await Promise.all([get('a.css'), get('a.css')]);
  assert.equal(x, y, 'the same compression for both');
  await get('b.css');
  const full = cache.bytes;
  assert.equal(full, 200, 'a and b kept');
  assert.equal(gunzipSync(await get('c.css')).toString(), CSS.replaceAll('333', '444'), 'sent');
  assert.equal(cache.bytes, full, 'not kept: a and b are in use');
  assert.equal(await get('a.css'), x, 'a still kept');
  clock += 250; // a and b unused since
  await get('c.css');
  assert.ok(cache.bytes <= 250);
  const c1 = await get('c.css');
  assert.equal(await get('c.css'), c1, 'c kept now: stale copies made room');
});

test("a site's own .br or .gz beside a text file is sent to who takes it, at any size; the file itself to others, and never a symlinked sibling", async (t) => {
  const bundle = 'export const x = "abcdefghij";\n'.repeat(70_000); // ≈ 2.2 MB: past what is compressed here
  assert.ok(bundle.length > MAX_BYTES);
  const root = await tempSiteDir(t, { 'bundle.js': bundle, 'app.js': bundle, 'secret.txt': 'not for the web' });
  await writeFile(join(root, 'bundle.js.br'), brotliCompressSync(bundle));
  await writeFile(join(root, 'bundle.js.gz'), gzipSync(bundle));
  await symlink(join(root, 'secret.txt'), join(root, 'app.js.gz')); // a sibling that leads elsewhere
  const port = await startWebServer(t, [{ domains: [], root }]);
  for (const [accept, coding] of [['gzip, deflate, br', 'br'], ['gzip', 'gzip'], ['br;q=0, gzip', 'gzip'], ['identity', undefined]] as const) {
    const res = await rawRequest(port, '/bundle.js', { headers: { 'accept-encoding': accept } });
    assert.equal(res.status, 200, accept);
    assert.equal(res.headers['content-encoding'], coding, accept);
    assert.equal(res.headers.vary, 'Accept-Encoding', accept);
    assert.equal(res.headers['content-type'], 'text/javascript; charset=utf-8', accept);
    const plain = coding === 'br' ? brotliDecompressSync(res.body) : coding === 'gzip' ? gunzipSync(res.body) : res.body;
    assert.equal(plain.toString(), bundle, accept);
  }
  const head = await rawRequest(port, '/bundle.js', { method: 'HEAD', headers: { 'accept-encoding': 'br' } });
  assert.equal(head.headers['content-encoding'], 'br');
  assert.equal(head.headers['content-length'], String(brotliCompressSync(bundle).length));
  const linked = await rawRequest(port, '/app.js', { headers: { 'accept-encoding': 'gzip' } });
  assert.equal(linked.headers['content-encoding'], undefined, 'the symlinked .gz is not sent');
  assert.equal(linked.text, bundle);
});
