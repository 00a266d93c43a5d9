// The reconciler's tick plans every site only as often as a tenth of a core allows
// (reconciler.ts tickPlansAll): small farms on every tick, as before; large ones less often.
// The tick itself plans every site only now and then (tickPlan); its timers go per site.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FULL_PASS_AT_MOST_MS, FULL_PASS_EVERY_MS, tickPlan, tickPlansAll } from './reconciler.ts';

test('a cheap full plan runs on every tick, even right after another', () => {
  for (const planMs of [0, 1, 10, 50]) {
    assert.equal(tickPlansAll(0, planMs, 500), true, `${planMs} ms plan`);
    assert.equal(tickPlansAll(500, planMs, 500), true);
  }
});

test('a slow full plan is spaced to 10 × its time: 0.3 s every 3 s, 1 s every 10 s', () => {
  assert.equal(tickPlansAll(2_000, 300, 500), false, 'skipped 2 s after a 0.3 s plan');
  assert.equal(tickPlansAll(2_500, 300, 500), true, 'the tick at or after 3 s − one tick plans again');
  assert.equal(tickPlansAll(9_000, 1_000, 500), false);
  assert.equal(tickPlansAll(9_500, 1_000, 500), true);
  // whatever the plan took, the share of a core stays ≤ 1/10 (counting the tick's slack)
  for (const planMs of [60, 120, 300, 700, 2_000]) {
    let since = 0;
    while (!tickPlansAll(since, planMs, 500)) since += 500;
    assert.ok(planMs / (since + 500) <= 0.1 + 1e-9, `${planMs} ms plan every ${since + 500} ms`);
  }
});

test('the tick plans every site only every 10 s (or 1,000 × a slow plan, at most every 2 minutes), sooner after servers were removed', () => {
  assert.equal(tickPlan(1_000, 5, 500, false), 'due', 'a cheap plan no longer runs on every tick');
  assert.equal(tickPlan(FULL_PASS_EVERY_MS - 500, 5, 500, false), 'all');
  assert.equal(tickPlan(29_000, 30, 500, false), 'due', '30 ms plans: every 30 s');
  assert.equal(tickPlan(29_500, 30, 500, false), 'all');
  assert.equal(tickPlan(99_000, 100, 500, false), 'due', '0.1 s plans (10,000 sites): every 100 s');
  assert.equal(tickPlan(99_500, 100, 500, false), 'all');
  assert.equal(tickPlan(FULL_PASS_AT_MOST_MS - 500, 400, 500, false), 'all', 'a plan of 0.4 s (a busy machine): still every 2 minutes');
  // removals free room for a site waiting: a full plan as soon as tickPlansAll allows
  assert.equal(tickPlan(500, 5, 500, true), 'all');
  assert.equal(tickPlan(2_000, 300, 500, true), 'due');
  assert.equal(tickPlan(2_500, 300, 500, true), 'all');
});
