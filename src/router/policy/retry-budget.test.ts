import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RETRY_DEFAULTS } from '../../model/index.ts';
import { routerConfig } from '../options.ts';
import { RetryBudget, SWEEP_WINDOWS } from './retry-budget.ts';
import { TimeoutStreaks, TIMEOUT_STREAK } from './timeout-streaks.ts';

/** A budget on a fake clock; `at(ms)` moves it. */
function budget(windowSeconds = 10) {
  let now = 1_000_000;
  const b = new RetryBudget({ windowSeconds, now: () => now });
  return { b, at: (ms: number) => void (now = 1_000_000 + ms) };
}

/** Retries granted in a row (each one recorded) until the budget refuses. */
function drain(b: RetryBudget, site: string, policy?: Parameters<RetryBudget['canRetry']>[1], cap = 10_000): number {
  let n = 0;
  while (n < cap && b.canRetry(site, policy)) {
    b.recordRetry(site);
    n++;
  }
  return n;
}

const ratioOnly = { budgetRatio: 0.2, minRetriesPerSecond: 0 };

test('retries add at most ratio × the requests of the window', () => {
  const { b } = budget();
  for (let i = 0; i < 100; i++) b.recordRequest('s');
  assert.equal(drain(b, 's', ratioOnly), 20);
  b.recordRequest('s');
  b.recordRequest('s');
  b.recordRequest('s');
  b.recordRequest('s');
  b.recordRequest('s'); // 105 requests: room for 21
  assert.equal(drain(b, 's', ratioOnly), 1);
});

test('the defaults: ratio 0.2 plus 10 retries a second', () => {
  const { b, at } = budget();
  for (let i = 0; i < 100; i++) b.recordRequest('s');
  assert.equal(drain(b, 's'), 20, 'the floor retries count in the ratio too');
  at(1000); // a new second: the floor again
  assert.equal(drain(b, 's'), 10);
});

test('a quiet site still retries: the floor is per second', () => {
  const { b, at } = budget();
  const floorOnly = { budgetRatio: 0, minRetriesPerSecond: 3 };
  assert.equal(drain(b, 's', floorOnly), 3);
  at(999);
  assert.equal(drain(b, 's', floorOnly), 0, 'same second');
  at(1000);
  assert.equal(drain(b, 's', floorOnly), 3, 'next second');
  at(5_500);
  assert.equal(drain(b, 's', floorOnly), 3);
});

test('the window slides: requests and retries older than it stop counting', () => {
  const { b, at } = budget();
  for (let i = 0; i < 50; i++) b.recordRequest('s'); // second 0
  at(5_000);
  for (let i = 0; i < 50; i++) b.recordRequest('s'); // second 5
  assert.equal(drain(b, 's', ratioOnly), 20);
  at(9_999);
  assert.equal(drain(b, 's', ratioOnly), 0, 'all 100 requests and the 20 retries still in the window');
  at(10_000); // second 0 leaves: 50 requests, 20 retries (made in second 5)
  assert.equal(drain(b, 's', ratioOnly), 0);
  at(15_000); // second 5 leaves too: nothing, nothing
  assert.equal(drain(b, 's', ratioOnly), 0);
  for (let i = 0; i < 10; i++) b.recordRequest('s');
  assert.equal(drain(b, 's', ratioOnly), 2);
});

test('a jump longer than the window empties it; a clock step back stays in the current second', () => {
  const { b, at } = budget(3);
  for (let i = 0; i < 100; i++) b.recordRequest('s');
  at(60_000);
  assert.equal(drain(b, 's', ratioOnly), 0);
  for (let i = 0; i < 10; i++) b.recordRequest('s');
  at(59_000);
  assert.equal(drain(b, 's', ratioOnly), 2);
});

test('sites have their own budgets; retain forgets the others', () => {
  const { b } = budget();
  for (let i = 0; i < 10; i++) b.recordRequest('a');
  assert.equal(drain(b, 'a', ratioOnly), 2);
  assert.equal(drain(b, 'b', ratioOnly), 0);
  b.retain(new Set(['b']));
  assert.equal(drain(b, 'a', { budgetRatio: 0, minRetriesPerSecond: 1 }), 1, 'a starts over');
  assert.throws(() => new RetryBudget({ windowSeconds: 0 }), /windowSeconds/);
});

test('an endpoint is ejected for timeouts only when they come in a row', () => {
  const s = new TimeoutStreaks();
  for (let i = 1; i < TIMEOUT_STREAK; i++) assert.equal(s.timedOut('e'), false);
  s.answered('e');
  for (let i = 1; i < TIMEOUT_STREAK; i++) assert.equal(s.timedOut('e'), false);
  assert.equal(s.timedOut('e'), true);
  assert.equal(s.timedOut('e'), false, 'the count starts over');
  s.retain(new Set());
  for (let i = 1; i < TIMEOUT_STREAK; i++) assert.equal(s.timedOut('e'), false);
});

test('without site settings the router applies the model\'s RETRY_DEFAULTS (the ones the CLI states)', () => {
  const { b, at } = budget(RETRY_DEFAULTS.budgetWindowSeconds);
  assert.equal(drain(b, 'quiet'), RETRY_DEFAULTS.minRetriesPerSecond, 'the floor a second');
  at(RETRY_DEFAULTS.budgetWindowSeconds * 1000); // the window has moved past those retries
  for (let i = 0; i < 1000; i++) b.recordRequest('busy');
  assert.equal(drain(b, 'busy'), Math.max(RETRY_DEFAULTS.minRetriesPerSecond, 1000 * RETRY_DEFAULTS.budgetRatio), 'the ratio of the requests');
  assert.equal(routerConfig().perTryTimeoutMs, RETRY_DEFAULTS.perTryTimeoutMs);
  assert.ok(Object.isFrozen(RETRY_DEFAULTS));
});

test("a sweep forgets only the sites quiet for the whole window; a busy site keeps its counts", (t) => {
  t.mock.timers.enable({ apis: ['setInterval'] });
  let now = 1_000_000;
  const b = new RetryBudget({ windowSeconds: 10, now: () => now });
  t.after(() => b.close());
  for (let i = 0; i < 1000; i++) b.recordRequest(`once-${i}`);
  now += 9_000;
  for (let i = 0; i < 100; i++) b.recordRequest('busy');
  b.sweep();
  assert.equal(b.size, 1001, 'nine seconds on: nothing is old enough yet');
  now += 2_000;
  b.sweep();
  assert.equal(b.size, 1, 'the sites quiet for the window are forgotten');
  assert.equal(drain(b, 'busy', ratioOnly), 20, 'the busy site keeps its window: 0.2 × 100 requests');
  now += 60_000;
  t.mock.timers.tick(SWEEP_WINDOWS * 10 * 1000);
  assert.equal(b.size, 0, 'the timer sweeps on its own');
  b.recordRequest('back');
  assert.equal(drain(b, 'back', ratioOnly), 1, 'a forgotten site starts a new window: one request, one retry (retries < 0.2 × 1), as a new site');
});
