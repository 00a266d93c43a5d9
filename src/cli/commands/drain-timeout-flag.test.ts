import { test } from 'node:test';
import assert from 'node:assert/strict';
import { drainTimeoutMs, drainTimeoutText } from './drain-timeout-flag.ts';

test('--drain-timeout: seconds by default, ms and m suffixes, whole milliseconds', () => {
  assert.equal(drainTimeoutMs('30'), 30_000);
  assert.equal(drainTimeoutMs('0'), 0);
  assert.equal(drainTimeoutMs('1.5'), 1500);
  assert.equal(drainTimeoutMs('500ms'), 500);
  assert.equal(drainTimeoutMs('90s'), 90_000);
  assert.equal(drainTimeoutMs('2m'), 120_000);
  assert.equal(drainTimeoutMs('3600'), 3_600_000);
  assert.equal(drainTimeoutText(5000), '5s');
  assert.equal(drainTimeoutText(1500), '1.5s');
  assert.equal(drainTimeoutText(250), '250ms');
});

test('--drain-timeout refuses what is not a duration, or more than an hour, with a message naming the flag', () => {
  for (const bad of ['', 'soon', '-1', '1h', '0.0001', '1e3', '30 s x']) {
    assert.throws(() => drainTimeoutMs(bad), /--drain-timeout must be a number of seconds/, bad);
  }
  assert.throws(() => drainTimeoutMs('3601'), /at most 3600 seconds/);
  assert.throws(() => drainTimeoutMs('61m'), /at most 3600 seconds/);
});
