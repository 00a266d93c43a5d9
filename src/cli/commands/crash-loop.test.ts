import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { VirtualServerView } from '../../model/index.ts';
import { CRASH_LOOP_AFTER_MS, crashLoopWatch } from './crash-loop.ts';

const T0 = 1_000_000;
const LATE = T0 + CRASH_LOOP_AFTER_MS;
const vs = (name: string, state: VirtualServerView['state'], restarts = 0): VirtualServerView =>
  ({ vs: name, engine: 'e1', site: 'shop', release: 'v2', assigned: true, state, restarts });

test('new servers that each failed their start 3 times, none ever ready, crash-loop once the wait is 10 s old', () => {
  const w = crashLoopWatch(T0);
  assert.equal(w.looping([vs('a', 'starting'), vs('b', 'queued')], T0), false);
  // restarts 2 and backing off: the third failure
  assert.equal(w.looping([vs('a', 'backoff', 5), vs('b', 'crashed', 2)], LATE - 1), false, 'not before 10 s');
  assert.equal(w.looping([vs('a', 'backoff', 5), vs('b', 'crashed', 2)], LATE), true);
  assert.equal(w.looping([vs('a', 'backoff', 5), vs('b', 'starting', 2)], LATE), false, 'b failed twice: its third start runs');
  assert.equal(w.looping([], LATE), false, 'no new server yet');
});

test('a server that was ready once, or crashed once and came up, or is not started yet keeps the wait going', () => {
  const once = crashLoopWatch(T0);
  assert.equal(once.looping([vs('a', 'backoff', 0), vs('b', 'starting', 0)], T0), false);
  assert.equal(once.looping([vs('a', 'ready', 1), vs('b', 'backoff', 4)], LATE), false);
  assert.equal(once.looping([vs('a', 'backoff', 6), vs('b', 'backoff', 9)], LATE + 60_000), false, 'a was seen ready');
  const queued = crashLoopWatch(T0);
  queued.looping([], T0);
  assert.equal(queued.looping([vs('a', 'backoff', 6), vs('b', 'queued', 0)], LATE), false, 'b has not started');
});

test('a server there at the first read counts only its failures since', () => {
  const w = crashLoopWatch(T0);
  assert.equal(w.looping([vs('pool-1', 'starting', 7)], T0), false);
  assert.equal(w.looping([vs('pool-1', 'crashed', 8)], LATE), false, 'two failures since the first read');
  assert.equal(w.looping([vs('pool-1', 'crashed', 9)], LATE), true);
});
