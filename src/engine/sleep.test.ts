// sleepToTick: sleepers due on the same tick share one timer and end together on the
// tick, never before their own time; an aborted sleeper ends at once, and the tick's timer
// goes with its last sleeper.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pendingTicks, sleepToTick } from './sleep.ts';

const TICK = 200;

test('sleepers due on the same tick share one timer and end on the tick, not before their time', async () => {
  // start just after a tick, so that 20 … 100 ms from now all round up to the same one
  while (Date.now() % TICK > 20) await new Promise((r) => setTimeout(r, 5));
  const started = Date.now();
  const ends: number[] = [];
  const wants = [20, 50, 100];
  const sleeps = wants.map((ms, i) => sleepToTick(ms, TICK).then(() => (ends[i] = Date.now())));
  assert.equal(pendingTicks(), 1, 'one timer for the three');
  await Promise.all(sleeps);
  const tick = Math.ceil((started + 20) / TICK) * TICK;
  ends.forEach((end, i) => {
    assert.ok(end >= tick, `ended at the tick ${tick}, not before (${end})`);
    assert.ok(end >= started + wants[i]!, `never before its own time (${wants[i]} ms; ended after ${end - started})`);
  });
  assert.ok(Math.max(...ends) - Math.min(...ends) <= 15, `together: ${ends.map((e) => e - started).join(', ')} ms`);
  assert.equal(pendingTicks(), 0);
});

test('a sleeper due later waits for a later tick; an aborted one ends at once and takes the timer with it when last', async () => {
  const started = Date.now();
  const late = sleepToTick(TICK * 2, TICK).then(() => Date.now());
  const abort = new AbortController();
  const early = sleepToTick(10, TICK, abort.signal).then(() => Date.now());
  assert.equal(pendingTicks(), 2, 'two ticks, one timer each');
  abort.abort();
  assert.ok((await early) - started < TICK, 'the aborted sleeper ended at once');
  assert.equal(pendingTicks(), 1, "the aborted sleeper's tick had no one else: its timer is gone");
  const end = await late;
  assert.ok(end - started >= TICK * 2, `not before its time (${end - started} ms)`);
  assert.equal(end % TICK < 50, true, `on a tick (${end % TICK} ms past it)`);
  assert.equal(pendingTicks(), 0);
  let ended = false;
  await sleepToTick(1_000, TICK, AbortSignal.abort()).then(() => (ended = true));
  assert.ok(ended, 'an already aborted signal ends it at once');
});
