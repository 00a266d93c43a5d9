// The heap settler collects once, QUIET_MS after the last of a burst of touches, and only
// when the heap has grown by the threshold since it last settled; a touch in the meantime
// puts it off, sparse touches without growth cost nothing, and a stopped settler collects
// nothing. The quiet settler (a farm node's) collects in the first quiet period after the
// heap grew, never in a busy one, once per growth. Node's mocked timers and a hand-moved
// clock, heap size and event-loop share stand in for time and V8; processGc is V8's own,
// shown by a WeakRef it clears.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { getHeapSpaceStatistics } from 'node:v8';
import { exposedGc, heapSettler, processGc, QUIET_MS, quietHeapSettler, youngGrowth } from './heap-settle.ts';

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

function quietRig(t: TestContext) {
  t.mock.timers.enable({ apis: ['setInterval'] });
  const r = { heap: 20 * MB, busy: 0, collections: 0, holds: [] as boolean[] };
  const stop = quietHeapSettler({
    holdYoung: (hold) => r.holds.push(hold),
    gc: () => {
      r.collections++;
      r.heap -= 6 * MB; // what the collection gives back
    },
    heapSize: () => r.heap,
    utilization: () => r.busy,
    growthBytes: 4 * MB,
  });
  return { r, stop, period: () => t.mock.timers.tick(QUIET_MS) };
}

test('a farm node collects in the first quiet period after its heap grew, never while busy', (t) => {
  const { r, period } = quietRig(t);
  r.busy = 0.9; // a deploy: the loop busy, the heap growing
  for (let i = 0; i < 10; i++) {
    r.heap += 3 * MB;
    period();
  }
  assert.equal(r.collections, 0, 'busy: nothing collected');
  r.busy = 0.02;
  period();
  assert.equal(r.collections, 1);
  for (let i = 0; i < 10; i++) period();
  assert.equal(r.collections, 1, 'quiet and no growth since: once per burst');
  r.heap += 3 * MB;
  period();
  assert.equal(r.collections, 1, 'grown less than the threshold');
  r.heap += 1 * MB;
  period();
  assert.equal(r.collections, 2, 'the growth adds up until it is worth a collection');
});

test('the young generation is held from the first quiet period until a busy one, and let go on stop', (t) => {
  const { r, stop, period } = quietRig(t);
  r.busy = 0.9;
  period();
  period();
  assert.deepEqual(r.holds, [], 'busy from the start: V8 grows it as it likes');
  r.busy = 0.02;
  period();
  period();
  assert.deepEqual(r.holds, [true], 'held once, not every quiet period');
  r.busy = 0.5;
  period();
  assert.deepEqual(r.holds, [true, false], 'a burst: growth back within one period');
  r.busy = 0;
  period();
  stop();
  assert.deepEqual(r.holds, [true, false, true, false], 'a stopped settler leaves V8 as it found it');
});

test('youngGrowth holds the young generation at its size, as V8 reads the flag at each growth', () => {
  const newSpace = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')!.space_size;
  const churn = () => {
    let keep: object[] = [];
    for (let i = 0; i < 3_000_000; i++) {
      keep.push({ i }); // survives a scavenge or two: the young generation grows for it
      if (keep.length > 200_000) keep = [];
    }
  };
  processGc()();
  const before = newSpace();
  youngGrowth(true);
  try {
    churn();
    assert.ok(newSpace() <= before, 'held: not grown');
  } finally {
    youngGrowth(false);
  }
  churn();
  assert.ok(newSpace() > before, `let go: grown past ${before >> 20} MiB`);
});

test("V8's own collection that shrinks the heap counts as settling", (t) => {
  const { r, period } = quietRig(t);
  r.busy = 0.02;
  r.heap += 3 * MB;
  period();
  r.heap -= 5 * MB; // V8 collected by itself: 18 MB
  period();
  r.heap += 3.5 * MB; // 21.5: 5.5 over the start, 3.5 over the low
  period();
  assert.equal(r.collections, 0);
  r.heap += 0.5 * MB;
  period();
  assert.equal(r.collections, 1);
});

test('a stopped quiet settler collects nothing', (t) => {
  const { r, stop, period } = quietRig(t);
  r.heap += 10 * MB;
  stop();
  period();
  period();
  assert.equal(r.collections, 0);
});

test("processGc is V8's full collection, without --expose-gc", async () => {
  assert.equal((globalThis as { gc?: unknown }).gc, undefined, 'the test runs without --expose-gc');
  const gc = processGc();
  const ref = (() => new WeakRef({ garbage: 'x'.repeat(1000) }))();
  await new Promise((r) => setImmediate(r)); // a WeakRef's target is kept to the end of the job that made it
  gc();
  assert.equal(ref.deref(), undefined);
});
