import assert from 'node:assert/strict';
import { access as fsAccess, readdir } from 'node:fs/promises';
import { once } from 'node:events';
import { request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { keys } from '../model/index.ts';
import { makeTarball, staticSite, startController } from './test-harness.ts';

async function withSite(t: Parameters<typeof startController>[0], limits = {}) {
  const h = await startController(t, { limits });
  const acme = await h.customer('acme');
  assert.equal((await acme.post('/v1/sites', staticSite('blog'))).status, 201);
  return { h, acme };
}

test('uploads make v1, v2; rollback goes back and forth', async (t) => {
  const { acme } = await withSite(t);
  const first = await acme.upload('/v1/sites/blog/releases', await makeTarball(t, { 'index.html': '<h1>one</h1>', 'css/site.css': 'a{}' }));
  assert.equal(first.status, 201, first.body);
  assert.equal(first.json.release.id, 'v1');
  assert.equal(first.json.release.number, 1);
  assert.equal(first.json.release.files, 2);
  assert.match(first.json.release.sha256, /^[0-9a-f]{64}$/);
  assert.equal(first.json.site.release, 'v1');
  assert.equal(first.json.site.previousRelease, undefined);

  const second = await acme.upload('/v1/sites/blog/releases', await makeTarball(t, { 'index.html': '<h1>two</h1>' }));
  assert.equal(second.json.release.id, 'v2');
  assert.equal(second.json.site.release, 'v2');
  assert.equal(second.json.site.previousRelease, 'v1');

  const back = await acme.post('/v1/sites/blog/rollback');
  assert.equal(back.status, 200, back.body);
  assert.equal(back.json.site.release, 'v1');
  assert.equal(back.json.site.previousRelease, 'v2');
  assert.equal((await acme.post('/v1/sites/blog/rollback')).json.site.release, 'v2');

  const releases = await acme.get('/v1/sites/blog/releases');
  assert.deepEqual(releases.json.releases.map((r: { id: string }) => r.id), ['v1', 'v2']);
  const activated = await acme.post('/v1/sites/blog/releases/v1/activate');
  assert.equal(activated.json.site.release, 'v1');
  assert.equal(activated.json.site.previousRelease, 'v2');
  assert.equal((await acme.post('/v1/sites/blog/releases/v9/activate')).status, 404);
});

test('a site keeps its newest maxReleasesPerSite releases, and always the served one and its previous one: older records go (a customer cannot fill the disk with releases)', async (t) => {
  const { acme } = await withSite(t, { maxReleasesPerSite: 3 });
  const ids = async () => ((await acme.get('/v1/sites/blog/releases')).json.releases as { id: string }[]).map((r) => r.id);
  const upload = async (n: number, activate = true) =>
    (await acme.upload(`/v1/sites/blog/releases${activate ? '' : '?activate=false'}`, await makeTarball(t, { 'index.html': `<h1>${n}</h1>` }))).json.release.id as string;
  for (let n = 1; n <= 3; n++) await upload(n);
  assert.deepEqual(await ids(), ['v1', 'v2', 'v3']);
  await upload(4);
  assert.deepEqual(await ids(), ['v2', 'v3', 'v4'], 'the oldest went');
  // serving v2 (activated back): v2 and its previous (v4) are kept whatever their age
  assert.equal((await acme.post('/v1/sites/blog/releases/v2/activate')).status, 200);
  for (let n = 5; n <= 7; n++) await upload(n, false);
  assert.deepEqual(await ids(), ['v2', 'v4', 'v5', 'v6', 'v7'], 'served v2 and previous v4 kept beside the newest three');
  assert.equal((await acme.post('/v1/sites/blog/rollback')).json.site.release, 'v4', 'rollback still has its release');
});

test('activate=false stores the release without serving it', async (t) => {
  const { acme } = await withSite(t);
  const res = await acme.upload('/v1/sites/blog/releases?activate=false', await makeTarball(t, { 'index.html': 'x' }));
  assert.equal(res.status, 201);
  assert.equal(res.json.site.release, undefined);
  assert.equal((await acme.post('/v1/sites/blog/rollback')).json.error.code, 'no_previous_release');
});

test('rollback without a previous release is a 409', async (t) => {
  const { acme } = await withSite(t);
  await acme.upload('/v1/sites/blog/releases', await makeTarball(t, { 'index.html': 'x' }));
  const res = await acme.post('/v1/sites/blog/rollback');
  assert.equal(res.status, 409);
  assert.equal(res.json.error.code, 'no_previous_release');
});

test('a hostile tarball is refused with the reason, and leaves no release or blob', async (t) => {
  const { h, acme } = await withSite(t);
  const hostile = await makeTarball(t, { 'index.html': 'ok', '../evil': 'pwned' }, { preservePaths: true });
  const res = await acme.upload('/v1/sites/blog/releases', hostile);
  assert.equal(res.status, 400, res.body);
  assert.match(res.json.error.message, /evil/);
  assert.deepEqual((await acme.get('/v1/sites/blog/releases')).json.releases, []);
  assert.equal((await acme.get('/v1/sites/blog')).json.site.release, undefined);
  const { createHash } = await import('node:crypto');
  const sha = createHash('sha256').update(hostile).digest('hex');
  await assert.rejects(fsAccess(h.blobs.path(sha)), 'the refused blob was deleted');
});

test('not a tarball at all is refused with a 4xx', async (t) => {
  const { acme } = await withSite(t);
  const res = await acme.upload('/v1/sites/blog/releases', Buffer.from('this is not gzip'));
  assert.ok(res.status >= 400 && res.status < 500, res.body);
});

test('an oversized body gets 413 and no release', async (t) => {
  const { h, acme } = await withSite(t, { maxReleaseBytes: 1024 });
  const big = await makeTarball(t, { 'random.bin': Array.from({ length: 4000 }, (_, i) => (i * 7919) % 10007).join(',') });
  assert.ok(big.length > 1024, `tarball is ${big.length} bytes`);
  const res = await acme.upload('/v1/sites/blog/releases', big);
  assert.equal(res.status, 413, res.body);
  assert.equal(res.json.error.code, 'payload_too_large');
  assert.deepEqual((await h.store.range(keys.releases)).kvs, []);

  // Without Content-Length the limit is enforced while streaming into the blob store.
  const streamed = await h.app.inject({
    method: 'POST', url: '/v1/sites/blog/releases', payload: Readable.from([big.subarray(0, 800), big.subarray(800)]),
    headers: { authorization: `Bearer ${acme.token}`, 'content-type': 'application/gzip' },
  });
  assert.equal(streamed.statusCode, 413, streamed.body);
  assert.deepEqual((await h.store.range(keys.releases)).kvs, []);
  assert.deepEqual(await readdir(join(h.dir, 'blobs', 'sha256')), [], 'no blob kept');
});

test('the operator\'s limits: a release records those it was accepted under, and a refusal names the flag that sets the limit', async (t) => {
  const { h, acme } = await withSite(t, { maxReleaseBytes: 2048, maxUnpackedBytes: 64 * 1024 });
  const small = await acme.upload('/v1/sites/blog/releases', await makeTarball(t, { 'index.html': '<h1>one</h1>' }));
  assert.equal(small.status, 201, small.body);
  assert.deepEqual(small.json.release.limits, { maxCompressedBytes: 2048, maxUnpackedBytes: 64 * 1024 });
  const stored = JSON.parse((await h.store.get(keys.release('blog', 'v1')))!.value) as { limits?: unknown };
  assert.deepEqual(stored.limits, { maxCompressedBytes: 2048, maxUnpackedBytes: 64 * 1024 }, 'what the engines unpack it with');

  const over = await acme.upload('/v1/sites/blog/releases', Buffer.alloc(4096, 1));
  assert.equal(over.status, 413, over.body);
  assert.equal(over.json.error.code, 'payload_too_large');
  assert.equal(over.json.error.message, "the release tarball is larger than this farm's limit of 2.0 KiB (2048 bytes); the operator sets it with --max-release-size (corral up, corral controller)");

  const zeros = await makeTarball(t, { 'zeros.txt': '0'.repeat(100 * 1024) });
  assert.ok(zeros.length <= 2048, `compressed ${zeros.length} bytes`);
  const unpacked = await acme.upload('/v1/sites/blog/releases', zeros);
  assert.equal(unpacked.status, 413, unpacked.body);
  assert.equal(unpacked.json.error.code, 'tarball_too_large');
  assert.match(unpacked.json.error.message, /^release unpacks to more than 64\.0 KiB \(the limit\).*; the operator sets the limit with --max-release-unpacked \(corral up, corral controller\)$/);
  assert.deepEqual((await h.store.range(keys.siteReleases('blog'))).kvs.map((kv) => kv.key), [keys.release('blog', 'v1')], 'no release recorded');
});

test('over a real socket, a client still streaming an oversized upload reads the 413', async (t) => {
  const { h, acme } = await withSite(t, { maxReleaseBytes: 1024 });
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = h.app.server.address() as AddressInfo;
  const req = request({
    method: 'POST', host: '127.0.0.1', port, path: '/v1/sites/blog/releases', agent: false,
    headers: { authorization: `Bearer ${acme.token}`, 'content-type': 'application/gzip', connection: 'keep-alive' },
  });
  t.after(() => req.destroy());
  const chunk = Buffer.alloc(64 * 1024, 1);
  const pump = setInterval(() => req.write(chunk), 1);
  t.after(() => clearInterval(pump));
  const [res] = (await once(req, 'response')) as [IncomingMessage];
  clearInterval(pump);
  let body = '';
  for await (const part of res.setEncoding('utf8')) body += part;
  req.destroy();
  assert.equal(res.statusCode, 413);
  assert.equal(JSON.parse(body).error.code, 'payload_too_large');
});

test('an upload that is not a tarball content type gets 415', async (t) => {
  const { acme } = await withSite(t);
  const res = await acme.post('/v1/sites/blog/releases', { not: 'a tarball' });
  assert.equal(res.status, 415);
  assert.equal(res.json.error.code, 'unsupported_media_type');
});

test('deleting a site deletes its release records; admins and engines can fetch blobs', async (t) => {
  const { h, acme } = await withSite(t);
  const tarball = await makeTarball(t, { 'index.html': 'x' });
  const up = await acme.upload('/v1/sites/blog/releases', tarball);
  const blob = await h.admin.get(`/v1/blobs/${up.json.release.sha256}`);
  assert.equal(blob.status, 200);
  assert.equal(blob.headers['content-type'], 'application/gzip');
  assert.equal(Number(blob.headers['content-length']), tarball.length);
  assert.equal((await acme.get(`/v1/blobs/${up.json.release.sha256}`)).status, 403);

  assert.equal((await h.store.range(keys.counter('releases/'))).kvs.length, 1);
  assert.equal((await acme.delete('/v1/sites/blog')).status, 204);
  assert.deepEqual((await h.store.range(keys.releases)).kvs, []);
  assert.deepEqual((await h.store.range(keys.counter('releases/'))).kvs, [], 'its release counter goes with it');
  await acme.post('/v1/sites', staticSite('blog'));
  const again = await acme.upload('/v1/sites/blog/releases', tarball);
  assert.equal(again.json.release.id, 'v1', 'a re-created site is another site (another id): its releases count from v1 and tell nothing of the old one\'s');
});
