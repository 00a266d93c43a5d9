import assert from 'node:assert/strict';
import { test } from 'node:test';
import { guardTransfer, TransferCutError } from './transfer-guard.ts';

const LIMITS = { firstByteMs: 1000, idleMs: 2000, windowMs: 3000, minBytesPerSec: 1024 };

function reason(signal: AbortSignal): string | undefined {
  return signal.aborted ? (signal.reason as TransferCutError).message : undefined;
}

test('after the body is sent, the answer is awaited for the idle timeout plus the bytes in flight at the floor rate', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'] });
  const guard = guardTransfer(LIMITS);
  t.after(() => guard.done());
  guard.moved(4096);
  guard.ended(); // 4 KiB at 1 KiB/s: 4 s more than the idle 2 s
  t.mock.timers.tick(5900);
  assert.equal(reason(guard.signal), undefined);
  t.mock.timers.tick(200);
  assert.equal(reason(guard.signal), 'no answer within 6 s of the last byte (4.0 KiB sent)');
  assert.equal((guard.signal.reason as TransferCutError).rule, 'stalled');
});

test('the rate floor is judged only after a whole window of transfer, then over the last window', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'] });
  const guard = guardTransfer(LIMITS);
  t.after(() => guard.done());
  guard.moved(0);
  // 512 B every 300 ms (≈ 1.7 KiB/s) for 6 s, then 100 B every 300 ms (≈ 0.3 KiB/s)
  for (let ms = 300; ms <= 6000; ms += 300) {
    t.mock.timers.tick(300);
    guard.moved(512);
  }
  assert.equal(reason(guard.signal), undefined);
  for (let ms = 300; ms <= 3000 && !guard.signal.aborted; ms += 300) {
    t.mock.timers.tick(300);
    guard.moved(100);
  }
  assert.match(reason(guard.signal) ?? '', /^too slow: [\d.]+ B\/s over the last 3 s \(floor 1\.0 KiB\/s\) after 1\d\.\d KiB$/);
});

test('done() clears the timers: a finished transfer is never cut', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'] });
  const guard = guardTransfer(LIMITS);
  guard.moved(10);
  guard.done();
  guard.done();
  t.mock.timers.tick(60_000);
  assert.equal(guard.signal.aborted, false);
  assert.equal(guard.explain('x'), 'x');
});
