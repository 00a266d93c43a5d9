import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { test, type TestContext } from 'node:test';
import { CorralError } from '../lib/errors.ts';
import { openBlobStore, type BlobStore } from './blob-store.ts';

async function store(t: TestContext): Promise<{ dir: string; blobs: BlobStore }> {
  const dir = await mkdtemp(join(tmpdir(), 'corral-blobs-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return { dir, blobs: await openBlobStore(dir) };
}

const sha = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

function chunks(...parts: string[]): Readable {
  return Readable.from(parts.map((p) => Buffer.from(p)));
}

async function failsWith(p: Promise<unknown>, code: string, status: number): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof CorralError, String(err));
    assert.equal(err.code, code);
    assert.equal(err.status, status);
    return true;
  });
}

test('putStream stores content under its sha256, readable back and verifiable', async (t) => {
  const { dir, blobs } = await store(t);
  const blob = await blobs.putStream(chunks('hello ', 'blob ', 'store'), { maxBytes: 1024 });
  assert.equal(blob.sha256, sha('hello blob store'));
  assert.equal(blob.size, 16);
  assert.equal(blob.path, join(dir, 'sha256', blob.sha256));
  assert.equal(blobs.path(blob.sha256), blob.path);
  assert.equal(await readFile(blob.path, 'utf8'), 'hello blob store');
  assert.equal((await stat(blob.path)).mode & 0o777, 0o444, 'blobs are read-only');
  assert.equal((await stat(dir)).mode & 0o777, 0o711, 'the store: reached, never listed, by others');
  assert.equal((await stat(join(dir, 'sha256'))).mode & 0o777, 0o711);
  assert.equal((await stat(join(dir, 'tmp'))).mode & 0o777, 0o700, 'uploads in progress: the controller only');
  if (process.getuid?.() === 0) {
    // another user of the host (nobody): reads a blob it knows the name of, lists none
    const asNobody = (...cmd: string[]) => spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', ...cmd], { encoding: 'utf8' });
    assert.equal(asNobody('cat', blob.path).stdout, 'hello blob store');
    assert.notEqual(asNobody('ls', join(dir, 'sha256')).status, 0, 'nobody cannot list the blobs');
  }
  assert.equal(await blobs.has(blob.sha256), true);
  assert.equal(await text(await blobs.openRead(blob.sha256)), 'hello blob store');
  assert.equal(await blobs.verify(blob.sha256), true);
  assert.deepEqual(await readdir(join(dir, 'tmp')), [], 'no temp file left');

  const again = await blobs.putStream(chunks('hello blob store'), { maxBytes: 16 });
  assert.deepEqual(again, blob, 'storing the same content again is harmless');
  const empty = await blobs.putStream(chunks(), { maxBytes: 0 });
  assert.equal(empty.sha256, sha(''));
});

test('a body over maxBytes is refused with 413 and leaves nothing behind', async (t) => {
  const { dir, blobs } = await store(t);
  let pulled = 0;
  const endless = new Readable({
    read() {
      pulled += 1;
      this.push(Buffer.alloc(64 * 1024, 1));
    },
  });
  await failsWith(blobs.putStream(endless, { maxBytes: 1024 * 1024 }), 'payload_too_large', 413);
  assert.ok(pulled < 40, `stopped reading early (${pulled} chunks)`);
  assert.ok(endless.destroyed, 'the source is destroyed');
  assert.deepEqual(await readdir(join(dir, 'tmp')), []);
  assert.deepEqual(await readdir(join(dir, 'sha256')), []);
});

test('a failing or aborted source leaves nothing behind', async (t) => {
  const { dir, blobs } = await store(t);
  const broken = new Readable({ read() {} });
  broken.push('partial');
  setImmediate(() => broken.destroy(new Error('client went away')));
  await assert.rejects(blobs.putStream(broken, { maxBytes: 1024 }), /client went away/);

  const ac = new AbortController();
  const slow = new Readable({ read() {} });
  slow.push('partial');
  setImmediate(() => ac.abort());
  await assert.rejects(blobs.putStream(slow, { maxBytes: 1024, signal: ac.signal }), { name: 'AbortError' });
  assert.deepEqual(await readdir(join(dir, 'tmp')), []);
  assert.deepEqual(await readdir(join(dir, 'sha256')), []);
});

test('only 64 lower-case hex digits name a blob: no path tricks', async (t) => {
  const { blobs } = await store(t);
  const bad = ['', 'abc', '../../etc/passwd', `${'a'.repeat(63)}/`, 'A'.repeat(64), `${'a'.repeat(64)}\0`, `../${'a'.repeat(61)}`, 'g'.repeat(64), `${'a'.repeat(64)}a`];
  for (const id of bad) {
    assert.throws(() => blobs.path(id), (err: unknown) => err instanceof CorralError && err.status === 400, id);
    await failsWith(blobs.has(id), 'invalid_request', 400);
    await failsWith(blobs.openRead(id), 'invalid_request', 400);
    await failsWith(blobs.verify(id), 'invalid_request', 400);
    await failsWith(blobs.remove(id), 'invalid_request', 400);
  }
});

test('remove deletes a blob even while an upload holds it; a missing one is no error', async (t) => {
  const { blobs } = await store(t);
  const held = await blobs.putStream(chunks('refused ', 'release'), { maxBytes: 1024, hold: true });
  await blobs.remove(held.sha256);
  assert.equal(await blobs.has(held.sha256), false);
  held.unhold();
  await blobs.remove(held.sha256);
  const kept = await blobs.putStream(chunks('kept'), { maxBytes: 1024 });
  assert.equal(await blobs.has(kept.sha256), true, 'other blobs stay');
});

test('missing blobs: has is false, openRead and verify are 404', async (t) => {
  const { blobs } = await store(t);
  const missing = 'a'.repeat(64);
  assert.equal(await blobs.has(missing), false);
  await failsWith(blobs.openRead(missing), 'not_found', 404);
  await failsWith(blobs.verify(missing), 'not_found', 404);
});

test('verify notices a blob whose bytes changed on disk', async (t) => {
  const { blobs } = await store(t);
  const blob = await blobs.putStream(chunks('original'), { maxBytes: 100 });
  await chmod(blob.path, 0o644);
  await writeFile(blob.path, 'tampered');
  assert.equal(await blobs.verify(blob.sha256), false);
});

test('opening the store clears stale temp files, but not fresh ones', async (t) => {
  const { dir } = await store(t);
  const stale = join(dir, 'tmp', 'old.partial');
  const fresh = join(dir, 'tmp', 'new.partial');
  await writeFile(stale, 'x');
  await writeFile(fresh, 'y');
  const old = new Date(Date.now() - 2 * 60 * 60 * 1000);
  await utimes(stale, old, old);
  await openBlobStore(dir);
  assert.deepEqual(await readdir(join(dir, 'tmp')), ['new.partial']);
});
