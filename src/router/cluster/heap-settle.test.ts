// The heap settler collects once, QUIET_MS after the last of a burst of touches, and only
// when the heap has grown by the threshold since it last settled; a touch in the meantime
// puts it off, sparse touches without growth cost nothing, and a stopped settler collects
// nothing. Node's mocked timers and a
// hand-moved clock and heap size stand in for time and V8.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { exposedGc, heapSettler, QUIET_MS } from './heap-settle.ts';

const MB = 1024 * 1024;

function rig(t: TestContext) {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const r = { clock: 0, heap: 20 * MB, collections: 0 };
  const settle = heapSettler({
    gc: () => {
      r.collections++;
      r.heap = 20 * MB; // what the collection gives back
    },
    heapSize: () => r.heap,
    now: () => r.clock,
    growthBytes: 4 * MB,
  });
  const tick = (ms: number) => {
    r.clock += ms;
    t.mock.timers.tick(ms);
  };
  return { r, settle, tick };
}

test('one collection after a burst that grew the heap, not one per touch', (t) => {
  const { r, settle, tick } = rig(t);
  for (let i = 0; i < 1_000; i++) {
    settle.touch();
    r.heap += 100_000; // the burst allocates
    tick(QUIET_MS - 1);
  }
  assert.equal(r.collections, 0, 'still busy: nothing collected');
  tick(1);
  assert.equal(r.collections, 1);
  tick(QUIET_MS * 10);
  assert.equal(r.collections, 1, 'once per burst');
  settle.touch();
  r.heap += 5 * MB;
  tick(QUIET_MS);
  assert.equal(r.collections, 2, 'the next burst gets its own');
});

test('sparse touches that grow nothing cost no collection', (t) => {
  const { r, settle, tick } = rig(t);
  for (let i = 0; i < 20; i++) {
    settle.touch();
    r.heap += 10_000;
    tick(QUIET_MS * 2);
  }
  assert.equal(r.collections, 0);
});

test('a stopped (closing) settler collects nothing, even when touched again', (t) => {
  const { r, settle, tick } = rig(t);
  settle.touch();
  r.heap += 10 * MB;
  settle.stop();
  settle.touch(); // a load tick during the drain
  tick(QUIET_MS * 2);
  assert.equal(r.collections, 0);
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
