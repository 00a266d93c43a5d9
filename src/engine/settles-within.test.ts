import assert from 'node:assert/strict';
import { test } from 'node:test';
import { settlesWithin } from './settles-within.ts';

test('settlesWithin is true as soon as the promise settles, without waiting for the deadline', async () => {
  let resolve!: () => void;
  const p = new Promise<void>((r) => (resolve = r));
  const t0 = performance.now();
  setTimeout(resolve, 5);
  assert.equal(await settlesWithin(p, 60_000), true);
  assert.ok(performance.now() - t0 < 1_000, 'did not wait for the deadline');
});

test('settlesWithin is false when the deadline passes first', async () => {
  const t0 = Date.now();
  assert.equal(await settlesWithin(new Promise(() => {}), 50), false);
  assert.ok(Date.now() - t0 >= 45);
});

test('a rejection counts as settled, and an already settled promise with no time left is true', async () => {
  assert.equal(await settlesWithin(Promise.reject(new Error('boom')), 1_000), true);
  assert.equal(await settlesWithin(Promise.resolve(), 0), true);
});

test('settlesWithin leaves no timer behind: a long deadline does not keep the process alive', async () => {
  const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  assert.equal(await settlesWithin(Promise.resolve(), 3_600_000), true);
  const after = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  assert.equal(after, before);
});
