import { test } from 'node:test';
import assert from 'node:assert/strict';
import { maxStarts } from './max-starts-flag.ts';

test('--max-starts: a whole number 1–1024, absent means the engine default', () => {
  assert.equal(maxStarts(undefined), undefined);
  assert.equal(maxStarts('1'), 1);
  assert.equal(maxStarts('4'), 4);
  assert.equal(maxStarts('1024'), 1024);
});

test('--max-starts refuses zero, fractions, words, huge numbers and non-decimal forms with a message naming the flag', () => {
  for (const bad of ['', '0', '-1', '1.5', 'two', '1e3', '1025', '2 3', '0x2', '0b10', '+2', '2.0', ' 2 ']) {
    assert.throws(() => maxStarts(bad), /--max-starts must be a whole number from 1 to 1024/, bad);
  }
});
