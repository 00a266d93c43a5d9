// A kicked pass starts at once after a quiet spell and at most once per KICK_SPACING_MS in a
// burst (reconciler.ts kickDelay): a new site's two passes (assignment, then route) no longer
// wait a fixed debounce each, and a deploy wave still coalesces.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KICK_SPACING_MS, kickDelay } from './reconciler.ts';

test('a change after a quiet spell is planned at once', () => {
  assert.equal(kickDelay(1_000, -Infinity), 0, 'the first kick');
  assert.equal(kickDelay(1_000, 1_000 - KICK_SPACING_MS), 0, 'exactly the spacing after the last');
  assert.equal(kickDelay(1_000, 0), 0, 'long after');
});

test('kicks in a burst wait for the spacing after the last kicked pass', () => {
  assert.equal(kickDelay(1_000, 1_000), KICK_SPACING_MS, 'right after one');
  assert.equal(kickDelay(1_005, 1_000), KICK_SPACING_MS - 5);
  assert.equal(kickDelay(1_014, 1_000, 15), 1);
  // a kick every 3 ms, as the reconciler takes them (one waiting at a time, the rest coalesce
  // into it): passes start at least the spacing apart
  let last = -Infinity;
  const starts: number[] = [];
  for (let now = 0; now < 500; now += 3) {
    if (now < last) continue; // one queued already
    last = now + kickDelay(now, last);
    starts.push(last);
  }
  for (let i = 1; i < starts.length; i++) assert.ok(starts[i]! - starts[i - 1]! >= KICK_SPACING_MS, `passes at ${starts[i - 1]} and ${starts[i]}`);
  assert.ok(starts.length <= Math.ceil(500 / KICK_SPACING_MS) + 1);
});

test('a clock stepped back never delays a kick beyond the spacing', () => {
  assert.equal(kickDelay(1_000, 60_000), KICK_SPACING_MS);
});
