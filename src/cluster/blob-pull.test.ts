import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { openBlobStore } from '../controller/index.ts';
import { blobPuller } from './blob-pull.ts';
import { blobOf, QUICK_LIMITS, sendPaced, servePeer, STALL_LIMITS, STEADY_LIMITS, storeWithPeer, type Pace } from './blob-testing.ts';

/** A puller from peer c2, which sends the blob at `pace`, and the failures it reports. */
async function pullFrom(t: TestContext, body: Buffer, pace: Pace, limits = QUICK_LIMITS) {
  const url = await servePeer(t, (_req, res) => void sendPaced(res, body, pace));
  const { dir, store } = await storeWithPeer(t, url);
  const blobs = await openBlobStore(join(dir, 'blobs'));
  const failures: string[] = [];
  const pull = blobPuller({ store, blobs, self: 'c1', token: 'crl_x', limits, onFailure: (peer, err) => failures.push(`${peer}: ${(err as Error).message}`) });
  return { blobs, failures, pull };
}

test('a blob pulled slowly but steadily from a peer arrives, however long it takes', { timeout: 30_000 }, async (t) => {
  const { body, sha } = blobOf(800 * 1024);
  const { blobs, failures, pull } = await pullFrom(t, body, { chunk: 8 * 1024, everyMs: 50 }, STEADY_LIMITS);
  const started = Date.now();
  assert.equal(await pull(sha), true, failures.join('; '));
  assert.ok(Date.now() - started > 2 * STEADY_LIMITS.idleMs, 'the copy outlasted the limits');
  assert.equal(await blobs.verify(sha), true);
});

test('a peer that stops sending mid-blob is cut after the idle timeout, saying so; nothing kept', { timeout: 30_000 }, async (t) => {
  const { body, sha } = blobOf(256 * 1024);
  const { blobs, failures, pull } = await pullFrom(t, body, { chunk: 16 * 1024, everyMs: 10, stopAfter: 64 * 1024 }, STALL_LIMITS);
  assert.equal(await pull(sha), false);
  assert.deepEqual(failures, ['c2: stalled for 1 s after 64.0 KiB']);
  assert.deepEqual(await blobs.names(), []);
});

test('a peer that trickles below the rate floor is cut, saying how slow', { timeout: 30_000 }, async (t) => {
  const { body, sha } = blobOf(256 * 1024);
  const { failures, pull } = await pullFrom(t, body, { chunk: 512, everyMs: 50 });
  assert.equal(await pull(sha), false);
  assert.match(failures.join('; '), /^c2: too slow: [\d.]+ KiB\/s over the last 1 s \(floor 16\.0 KiB\/s\) after [\d.]+ KiB$/);
});
