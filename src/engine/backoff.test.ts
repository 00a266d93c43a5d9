import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffDelay } from './backoff.ts';

test('doubles from the base and stops at the cap', () => {
  const opts = { baseMs: 100, maxMs: 10_000 };
  assert.deepEqual([0, 1, 2, 3, 6, 7, 8, 100].map((n) => backoffDelay(n, opts)), [100, 200, 400, 800, 6_400, 10_000, 10_000, 10_000]);
});
