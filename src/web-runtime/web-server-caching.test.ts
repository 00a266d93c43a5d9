import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { tempSiteDir, rawRequest, startWebServer } from './testing.ts';

const BODY = '0123456789abcdefghij'; // 20 bytes

async function serve(t: TestContext): Promise<number> {
  return startWebServer(t, [{ domains: [], root: await tempSiteDir(t, { 'file.txt': BODY }) }]);
}

test('ETag: a matching If-None-Match gets 304, a stale one the full body', async (t) => {
  const port = await serve(t);
  const first = await rawRequest(port, '/file.txt');
  const etag = first.headers.etag ?? '';
  assert.match(etag, /^W\/"/);
  const fresh = await rawRequest(port, '/file.txt', { headers: { 'if-none-match': etag } });
  assert.equal(fresh.status, 304);
  assert.equal(fresh.body.length, 0);
  assert.equal(fresh.headers.etag, etag);
  const stale = await rawRequest(port, '/file.txt', { headers: { 'if-none-match': 'W/"nope"' } });
  assert.equal(stale.status, 200);
  assert.equal(stale.text, BODY);
});

test('Last-Modified: If-Modified-Since at or after it gets 304, before it 200', async (t) => {
  const port = await serve(t);
  const lastModified = (await rawRequest(port, '/file.txt')).headers['last-modified'] ?? '';
  assert.ok(lastModified);
  assert.equal((await rawRequest(port, '/file.txt', { headers: { 'if-modified-since': lastModified } })).status, 304);
  const earlier = new Date(Date.parse(lastModified) - 60_000).toUTCString();
  assert.equal((await rawRequest(port, '/file.txt', { headers: { 'if-modified-since': earlier } })).status, 200);
});

test('ranges: a-b, open-ended and suffix give 206 with Content-Range', async (t) => {
  const port = await serve(t);
  const cases: [string, string, string][] = [
    ['bytes=0-4', '01234', 'bytes 0-4/20'],
    ['bytes=15-', 'fghij', 'bytes 15-19/20'],
    ['bytes=-3', 'hij', 'bytes 17-19/20'],
  ];
  for (const [range, body, contentRange] of cases) {
    const res = await rawRequest(port, '/file.txt', { headers: { range } });
    assert.equal(res.status, 206, range);
    assert.equal(res.text, body, range);
    assert.equal(res.headers['content-range'], contentRange);
    assert.equal(res.headers['content-length'], String(body.length));
  }
  assert.equal((await rawRequest(port, '/file.txt')).headers['accept-ranges'], 'bytes');
});

test('ranges: unsatisfiable → 416, multiple → the full 200, stale If-Range → 200', async (t) => {
  const port = await serve(t);
  const bad = await rawRequest(port, '/file.txt', { headers: { range: 'bytes=20-' } });
  assert.equal(bad.status, 416);
  assert.equal(bad.headers['content-range'], 'bytes */20');
  const multi = await rawRequest(port, '/file.txt', { headers: { range: 'bytes=0-1,4-5' } });
  assert.equal(multi.status, 200);
  assert.equal(multi.text, BODY);
  const stale = await rawRequest(port, '/file.txt', { headers: { range: 'bytes=0-1', 'if-range': 'Mon, 01 Jan 2001 00:00:00 GMT' } });
  assert.equal(stale.status, 200);
});
