import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { DEFAULT_SCHEDULE, renewalAt, retryAfterMs, retryAt } from './acme-schedule.ts';

const day = 86_400_000;

test('renewal falls at two thirds of the lifetime, earlier by at most the jitter', () => {
  const from = new Date('2026-01-01T00:00:00Z');
  const to = new Date(from.getTime() + 90 * day);
  assert.equal(renewalAt(from, to, DEFAULT_SCHEDULE, () => 0).getTime(), from.getTime() + 60 * day);
  assert.equal(renewalAt(from, to, DEFAULT_SCHEDULE, () => 1).getTime(), from.getTime() + 57 * day);
});

test('retries back off exponentially up to the cap, and a Retry-After wins when longer', () => {
  const o = { ...DEFAULT_SCHEDULE, backoffMinMs: 1000, backoffMaxMs: 10_000 };
  const mid = () => 0.5; // no jitter
  assert.equal(retryAt(0, 1, o, 0, mid).getTime(), 1000);
  assert.equal(retryAt(0, 2, o, 0, mid).getTime(), 2000);
  assert.equal(retryAt(0, 3, o, 0, mid).getTime(), 4000);
  assert.equal(retryAt(0, 50, o, 0, mid).getTime(), 10_000);
  assert.equal(retryAt(0, 1, o, 3_600_000, mid).getTime(), 3_600_000);
});

test('Retry-After in seconds or as an HTTP date', () => {
  assert.equal(retryAfterMs('120'), 120_000);
  assert.equal(retryAfterMs(new Date(10_000 + 30_000).toUTCString(), 10_000), 30_000);
  assert.equal(retryAfterMs(undefined), 0);
  assert.equal(retryAfterMs('soon'), 0);
});
