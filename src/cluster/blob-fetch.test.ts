import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { httpBlobFetcher } from './blob-fetch.ts';

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
