import assert from 'node:assert/strict';
import { test } from 'node:test';
import { allSettled } from './all-settled.ts';

test('allSettled gives the values in order', async () => {
  assert.deepEqual(await allSettled([Promise.resolve(1), Promise.resolve('a')] as const), [1, 'a']);
});

test('allSettled rejects with the first failure only after the slower steps have settled', async () => {
  let slowDone = false;
  const slow = new Promise<number>((r) => setImmediate(() => setImmediate(() => ((slowDone = true), r(2)))));
  await assert.rejects(allSettled([Promise.reject(new Error('first')), slow, Promise.reject(new Error('second'))] as const), (err: Error) => {
    assert.equal(err.message, 'first');
    assert.equal(slowDone, true);
    return true;
  });
});
