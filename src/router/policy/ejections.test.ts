// Passive ejection's period (ejections.ts): ejected again before answering a request in
// between, an endpoint is skipped twice as long each time, up to MAX_EJECTIONS_DOUBLED
// doublings; one answer makes the next ejection short again. A clock the test moves.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Ejections, MAX_EJECTIONS_DOUBLED } from './ejections.ts';

test('an endpoint ejected again without answering in between is skipped twice as long each time, up to the cap; an answer makes it short again', () => {
  let now = 1_000_000;
  const e = new Ejections(3_000, () => now);
  const periods: number[] = [];
  for (let i = 0; i < MAX_EJECTIONS_DOUBLED + 3; i++) {
    assert.equal(e.eject('a:1'), true);
    periods.push(e.ejectedForMs('a:1'));
    assert.equal(e.isEjected('a:1'), true);
    now += periods.at(-1)!; // its period over: tried again, and it fails again
    assert.equal(e.isEjected('a:1'), false);
  }
  assert.deepEqual(periods, [3_000, 6_000, 12_000, 24_000, 48_000, 48_000, 48_000]);
  e.answered('a:1');
  e.eject('a:1');
  assert.equal(e.ejectedForMs('a:1'), 3_000, 'short again after an answer');
  assert.equal(e.eject('a:1'), false, 'a second failure while ejected (a try that was in flight) is the same ejection');
  assert.equal(e.ejectedForMs('a:1'), 3_000);
  e.eject('b:1');
  assert.equal(e.ejectedForMs('b:1'), 3_000, 'each endpoint its own');
  e.retain(new Set(['b:1']));
  now += 3_000;
  e.eject('a:1');
  assert.equal(e.ejectedForMs('a:1'), 3_000, 'an endpoint no longer routed is forgotten');
});
