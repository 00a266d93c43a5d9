// The heap settler collects once, QUIET_MS after the last of a burst of table changes; a
// change in the meantime puts it off, a close cancels it, and without an exposed collector
// it does nothing. Node's mocked timers stand in for the quiet period.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exposedGc, heapSettler, QUIET_MS } from './heap-settle.ts';

test('one collection after the burst, not one per change', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  let collections = 0;
  const settle = heapSettler(() => collections++);
  for (let i = 0; i < 1_000; i++) {
    settle.touch();
    t.mock.timers.tick(QUIET_MS - 1);
  }
  assert.equal(collections, 0, 'still changing: nothing collected');
  t.mock.timers.tick(1);
  assert.equal(collections, 1);
  t.mock.timers.tick(QUIET_MS * 10);
  assert.equal(collections, 1, 'once per burst');
  settle.touch();
  t.mock.timers.tick(QUIET_MS);
  assert.equal(collections, 2, 'the next burst gets its own');
});

test('a closing worker cancels the pending collection; without an exposed collector nothing is scheduled', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  let collections = 0;
  const settle = heapSettler(() => collections++);
  settle.touch();
  settle.stop();
  t.mock.timers.tick(QUIET_MS);
  assert.equal(collections, 0);
  const none = heapSettler(undefined);
  none.touch();
  t.mock.timers.tick(QUIET_MS);
  assert.equal(collections, 0);
});

test('exposedGc finds the collector only where node exposes it', () => {
  const had = (globalThis as { gc?: unknown }).gc;
  try {
    let called = 0;
    (globalThis as { gc?: unknown }).gc = () => called++;
    exposedGc()?.();
    assert.equal(called, 1);
    delete (globalThis as { gc?: unknown }).gc;
    assert.equal(exposedGc(), undefined);
  } finally {
    if (had !== undefined) (globalThis as { gc?: unknown }).gc = had;
  }
});
