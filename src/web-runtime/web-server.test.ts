import assert from 'node:assert/strict';
import { readdir, symlink } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { test } from 'node:test';
import { waitFor } from '../lib/wait.ts';
import { tempSiteDir, rawRequest, startWebServer } from './testing.ts';

const SITE = {
  'index.html': '<h1>home</h1>',
  'style.css': 'body{}',
  'app.js': 'console.log(1)',
  'data.json': '{}',
  'logo.svg': '<svg xmlns="http://www.w3.org/2000/svg"/>',
  'pic.png': Buffer.from([0x89, 0x50, 0x4e, 0x47]),
  'blob': 'raw',
  'docs/index.html': '<h1>docs</h1>',
  'empty/readme.txt': 'no index here',
};

test('content types, with charset for text', async (t) => {
  const port = await startWebServer(t, [{ domains: [], root: await tempSiteDir(t, SITE) }]);
  const expected: Record<string, string> = {
    '/index.html': 'text/html; charset=utf-8',
    '/style.css': 'text/css; charset=utf-8',
    '/app.js': 'text/javascript; charset=utf-8',
    '/data.json': 'application/json; charset=utf-8',
    '/logo.svg': 'image/svg+xml; charset=utf-8',
    '/pic.png': 'image/png',
    '/blob': 'application/octet-stream',
  };
  for (const [p, type] of Object.entries(expected)) {
    const res = await rawRequest(port, p);
    assert.equal(res.status, 200, p);
    assert.equal(res.headers['content-type'], type, p);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
  }
});

test('cache-control: a fingerprinted asset is immutable; every other file, HTML and assets alike, is revalidated', async (t) => {
  const root = await tempSiteDir(t, { ...SITE, 'assets/app.3f9a1c2b.js': 'console.log(2)', 'assets/main-DK2x9Qa1.css': 'a{}', 'report-1a2b3c4d.html': '<h1>r</h1>' });
  await symlink('assets/app.3f9a1c2b.js', path.join(root, 'current.js'));
  const port = await startWebServer(t, [{ domains: [], root }]);
  const cacheControl = async (p: string): Promise<string | undefined> => (await rawRequest(port, p)).headers['cache-control'];
  for (const p of ['/', '/index.html', '/style.css', '/app.js', '/logo.svg', '/pic.png', '/report-1a2b3c4d.html']) {
    assert.equal(await cacheControl(p), 'public, max-age=0, must-revalidate', p);
  }
  for (const p of ['/assets/app.3f9a1c2b.js', '/assets/main-DK2x9Qa1.css']) assert.equal(await cacheControl(p), 'public, max-age=31536000, immutable', p);
  assert.equal(await cacheControl('/current.js'), 'public, max-age=0, must-revalidate', 'the name asked for counts, not a symlink\'s target');
  const fresh = await rawRequest(port, '/assets/app.3f9a1c2b.js', { headers: { 'if-none-match': (await rawRequest(port, '/assets/app.3f9a1c2b.js')).headers.etag ?? '' } });
  assert.equal(fresh.status, 304);
  assert.equal(fresh.headers['cache-control'], 'public, max-age=31536000, immutable', 'a 304 says it again');
});

test('directories: index.html, 301 to the slash form, 404 without an index', async (t) => {
  const port = await startWebServer(t, [{ domains: [], root: await tempSiteDir(t, SITE) }]);
  assert.equal((await rawRequest(port, '/')).text, '<h1>home</h1>');
  assert.equal((await rawRequest(port, '/docs/')).text, '<h1>docs</h1>');
  const redirect = await rawRequest(port, '/docs?x=1');
  assert.equal(redirect.status, 301);
  assert.equal(redirect.headers.location, '/docs/?x=1');
  assert.equal((await rawRequest(port, '/empty')).status, 404);
  assert.equal((await rawRequest(port, '/empty/')).status, 404);
  assert.equal((await rawRequest(port, '/style.css/')).status, 404);
});

test('404: the site own 404.html, else a built-in page', async (t) => {
  const custom = await startWebServer(t, [{ domains: [], root: await tempSiteDir(t, { ...SITE, '404.html': '<h1>lost</h1>' }) }]);
  const res = await rawRequest(custom, '/nope');
  assert.equal(res.status, 404);
  assert.equal(res.text, '<h1>lost</h1>');
  assert.equal(res.headers['content-type'], 'text/html; charset=utf-8');

  const plain = await startWebServer(t, [{ domains: [], root: await tempSiteDir(t, SITE) }]);
  const builtin = await rawRequest(plain, '/nope');
  assert.equal(builtin.status, 404);
  assert.match(builtin.text, /404/);
  assert.equal(builtin.headers['content-type'], 'text/html; charset=utf-8');
});

test('two sites chosen by Host; unknown hosts get 404', async (t) => {
  const a = await tempSiteDir(t, { 'index.html': 'site A' });
  const b = await tempSiteDir(t, { 'index.html': 'site B', '404.html': 'B lost' });
  const port = await startWebServer(t, [{ domains: ['a.test'], root: a }, { domains: ['b.test', 'www.b.test'], root: b }]);
  assert.equal((await rawRequest(port, '/', { headers: { host: 'a.test' } })).text, 'site A');
  assert.equal((await rawRequest(port, '/', { headers: { host: 'WWW.B.test:8080' } })).text, 'site B');
  assert.equal((await rawRequest(port, '/x', { headers: { host: 'b.test' } })).text, 'B lost');
  const unknown = await rawRequest(port, '/', { headers: { host: 'c.test' } });
  assert.equal(unknown.status, 404);
  assert.doesNotMatch(unknown.text, /site [AB]|B lost/);
});

test('HEAD sends headers and no body', async (t) => {
  const port = await startWebServer(t, [{ domains: [], root: await tempSiteDir(t, SITE) }]);
  const res = await rawRequest(port, '/style.css', { method: 'HEAD' });
  assert.equal(res.status, 200);
  assert.equal(res.headers['content-length'], '6');
  assert.equal(res.body.length, 0);
  const missing = await rawRequest(port, '/nope', { method: 'HEAD' });
  assert.equal(missing.status, 404);
  assert.equal(missing.body.length, 0);
});

test('methods other than GET and HEAD get 405 with Allow', async (t) => {
  const port = await startWebServer(t, [{ domains: [], root: await tempSiteDir(t, SITE) }]);
  for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS']) {
    const res = await rawRequest(port, '/', { method });
    assert.equal(res.status, 405, method);
    assert.equal(res.headers.allow, 'GET, HEAD');
  }
});

test('health endpoint answers ok for any Host', async (t) => {
  const port = await startWebServer(t, [{ domains: ['a.test'], root: await tempSiteDir(t, SITE) }, { domains: ['b.test'], root: await tempSiteDir(t, SITE) }]);
  for (const host of ['a.test', 'unknown.test', '127.0.0.1']) {
    const res = await rawRequest(port, '/.corral/health', { headers: { host } });
    assert.equal(res.status, 200);
    assert.equal(res.text, 'ok');
  }
});

test('a large file to a slow reader arrives byte for byte, as do ranges of it; a reader that leaves mid-body leaves no open file behind', async (t) => {
  const big = Buffer.alloc(3 * 1024 * 1024 + 17);
  for (let i = 0; i + 4 <= big.length; i += 4) big.writeUInt32LE(i, i); // position-dependent bytes: a chunk out of place shows
  const root = await tempSiteDir(t, { 'big.bin': big });
  const port = await startWebServer(t, [{ domains: ['s.test'], root }]);
  const fds = async (): Promise<number> => (await readdir('/proc/self/fd')).length;
  const before = await fds();
  // the client takes 64 KiB at a time with pauses: the server's writes wait on the socket
  const got = await new Promise<Buffer>((resolve, reject) => {
    const req = http.get({ port, host: '127.0.0.1', path: '/big.bin', headers: { host: 's.test' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => {
        chunks.push(c);
        res.pause();
        setTimeout(() => res.resume(), 1);
      });
      res.on('end', () => resolve(Buffer.concat(chunks)));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
  assert.equal(got.length, big.length);
  assert.ok(got.equals(big));
  for (const [from, to] of [[0, 0], [65_535, 65_536 + 70_000], [big.length - 5, big.length - 1]] as const) {
    const part = await rawRequest(port, '/big.bin', { headers: { host: 's.test', range: `bytes=${from}-${to}` } });
    assert.equal(part.status, 206);
    assert.ok(part.body.equals(big.subarray(from, to + 1)), `bytes ${from}-${to}`);
  }
  // a reader that leaves after the first bytes
  await new Promise<void>((resolve, reject) => {
    const req = http.get({ port, host: '127.0.0.1', path: '/big.bin', headers: { host: 's.test' } }, (res) => {
      res.once('data', () => {
        req.destroy();
        resolve();
      });
    });
    req.on('error', () => undefined);
    setTimeout(() => reject(new Error('no first bytes')), 10_000).unref();
  });
  await waitFor(async () => (await fds()) <= before, { what: "the server's file handle and socket of the download the reader left closed" });
});
