import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { blobPusher } from './blob-push.ts';
import { blobOf, QUICK_LIMITS, servePeer, STALL_LIMITS, STEADY_LIMITS, storeWithPeer, takePaced } from './blob-testing.ts';

// past the sockets' buffers on loopback (a few MiB), so the pace is the peer's reading
const SIZE = 16 * 1024 * 1024;
const LIMITS = { ...QUICK_LIMITS, minBytesPerSec: 1024 * 1024 };
/** A steady copy at 3 MiB/s (3 × the floor): ≈ 5 s, more than twice every limit. */
const STEADY = { ...STEADY_LIMITS, minBytesPerSec: 1024 * 1024 };

test('a copy to a peer that reads slowly but steadily arrives, however long it takes', { timeout: 60_000 }, async (t) => {
  const { body, sha } = blobOf(SIZE);
  let got: Buffer | undefined;
  const url = await servePeer(t, (req, res) => {
    void takePaced(req, 3 * 1024 * 1024).then((b) => {
      got = b;
      res.writeHead(201).end('{}');
    });
  });
  const { dir, store } = await storeWithPeer(t, url);
  const path = join(dir, 'blob');
  writeFileSync(path, body);
  const started = Date.now();
  await blobPusher({ store, self: 'c1', token: 'crl_x', limits: STEADY })({ sha256: sha, size: SIZE, path });
  assert.ok(Date.now() - started > 2 * STEADY.idleMs, 'the copy outlasted the limits');
  assert.ok(got?.equals(body), 'the peer got the blob whole');
});

test('a copy to a peer that stops reading is cut after the idle timeout, saying so', { timeout: 30_000 }, async (t) => {
  const { body, sha } = blobOf(SIZE);
  const url = await servePeer(t, (req) => {
    req.once('data', () => req.pause()); // one chunk, then nothing more read, no answer
  });
  const { dir, store } = await storeWithPeer(t, url);
  const path = join(dir, 'blob');
  writeFileSync(path, body);
  const started = Date.now();
  await assert.rejects(blobPusher({ store, self: 'c1', token: 'crl_x', limits: { ...LIMITS, windowMs: STALL_LIMITS.windowMs } })({ sha256: sha, size: SIZE, path }), {
    message: /^no peer took the copy: c2: stalled for 1 s after [\d.]+ (KiB|MiB)$/,
  });
  assert.ok(Date.now() - started < 6_000, 'cut at the idle timeout, not a fixed total');
});
