import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { httpBlobFetcher } from './blob-fetch.ts';
import { blobOf, QUICK_LIMITS, sendPaced, servePeer, STALL_LIMITS, STEADY_LIMITS } from './blob-testing.ts';

test('fetches a blob from the first controller that has it, keeping it only if its sha256 matches; a body cut short is not kept', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'corral-fetch-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const good = Buffer.from('the release');
  const sha = createHash('sha256').update(good).digest('hex');
  const liar = createHash('sha256').update('something else').digest('hex');
  const cut = createHash('sha256').update('cut short').digest('hex');
  const seen: string[] = [];
  const srv = createServer((req, res) => {
    seen.push(`${req.headers.authorization} ${req.url}`);
    if (req.url === `/v1/blobs/${sha}` || req.url === `/v1/blobs/${liar}`) res.end(good);
    else if (req.url === `/v1/blobs/${cut}`) {
      res.writeHead(200, { 'content-length': '1000' }).write('cut ');
      setImmediate(() => res.destroy());
    } else res.writeHead(404).end();
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  t.after(() => {
    srv.closeAllConnections();
    srv.close();
  });
  const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
  const fetchBlob = httpBlobFetcher({ dir, token: 'crl_x', controllers: () => ['http://127.0.0.1:1', url] });
  const path = await fetchBlob(sha);
  assert.deepEqual(readFileSync(path), good);
  assert.equal(seen[0], `Bearer crl_x /v1/blobs/${sha}`);
  await assert.rejects(fetchBlob(liar), { code: 'CLUSTER_BLOB_UNAVAILABLE', message: /CLUSTER|hash|sha256/ });
  await assert.rejects(fetchBlob('0'.repeat(64)), { code: 'CLUSTER_BLOB_UNAVAILABLE' });
  await assert.rejects(fetchBlob(cut), { code: 'CLUSTER_BLOB_UNAVAILABLE' });
  assert.deepEqual(readdirSync(dir), [`${sha}.tar.gz`], 'nothing kept of the refused blob');
});

function fetcher(t: { after: (fn: () => void) => void }, controllers: string[], limits = QUICK_LIMITS) {
  const dir = mkdtempSync(join(tmpdir(), 'corral-fetch-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return { dir, fetchBlob: httpBlobFetcher({ dir, token: 'crl_x', controllers: () => controllers, limits }) };
}

test('a download slower than any fixed total arrives while it keeps above the rate floor', { timeout: 30_000 }, async (t) => {
  // 800 KiB at ≈ 160 KiB/s (10 × the floor): ≈ 5 s, more than twice every limit
  const { body, sha } = blobOf(800 * 1024);
  const url = await servePeer(t, (_req, res) => void sendPaced(res, body, { chunk: 8 * 1024, everyMs: 50 }));
  const { fetchBlob } = fetcher(t, [url], STEADY_LIMITS);
  const started = Date.now();
  const path = await fetchBlob(sha);
  assert.ok(Date.now() - started > 2 * STEADY_LIMITS.idleMs, 'the transfer outlasted the limits');
  assert.deepEqual(readFileSync(path), body);
});

test('a controller that stops sending mid-body is cut after the idle timeout, saying so; the next controller serves it', { timeout: 30_000 }, async (t) => {
  const { body, sha } = blobOf(256 * 1024);
  const stalls = await servePeer(t, (_req, res) => void sendPaced(res, body, { chunk: 16 * 1024, everyMs: 10, stopAfter: 64 * 1024 }));
  const silent = await servePeer(t, () => undefined); // takes the request, never answers
  const good = await servePeer(t, (_req, res) => res.end(body));
  const alone = fetcher(t, [stalls, silent], STALL_LIMITS);
  const started = Date.now();
  await assert.rejects(alone.fetchBlob(sha), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'CLUSTER_BLOB_UNAVAILABLE');
    assert.match(err.message, new RegExp(`${stalls}: stalled for 1 s after 64\\.0 KiB`));
    assert.match(err.message, new RegExp(`${silent}: no progress within 1 s`));
    return true;
  });
  assert.ok(Date.now() - started < 6_000, 'cut at the idle timeouts, not a fixed total');
  assert.deepEqual(readdirSync(alone.dir), [], 'nothing kept of the cut download');
  const next = fetcher(t, [stalls, good]);
  assert.deepEqual(readFileSync(await next.fetchBlob(sha)), body);
});

test('a controller that trickles below the rate floor is cut, saying how slow', { timeout: 30_000 }, async (t) => {
  // 512 B every 50 ms: ≈ 10 KiB/s, under the 16 KiB/s floor, never idle for long
  const { body, sha } = blobOf(256 * 1024);
  const url = await servePeer(t, (_req, res) => void sendPaced(res, body, { chunk: 512, everyMs: 50 }));
  const { dir, fetchBlob } = fetcher(t, [url]);
  await assert.rejects(fetchBlob(sha), { code: 'CLUSTER_BLOB_UNAVAILABLE', message: /too slow: [\d.]+ KiB\/s over the last 1 s \(floor 16\.0 KiB\/s\) after [\d.]+ KiB/ });
  assert.deepEqual(readdirSync(dir), []);
});

test('content that does not hash to its name is refused after a slow transfer too', { timeout: 30_000 }, async (t) => {
  const { body } = blobOf(160 * 1024);
  const other = createHash('sha256').update('another release').digest('hex');
  const url = await servePeer(t, (_req, res) => void sendPaced(res, body, { chunk: 8 * 1024, everyMs: 50 }));
  const { dir, fetchBlob } = fetcher(t, [url]);
  await assert.rejects(fetchBlob(other), { code: 'CLUSTER_BLOB_UNAVAILABLE', message: /sha256 .*expected/ });
  assert.deepEqual(readdirSync(dir), []);
});
