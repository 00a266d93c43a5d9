// --start-timeout: seconds (or 90s, 2m) from 1 s to 10 minutes; anything else refused with the flag named.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CliError } from '../errors.ts';
import { startTimeoutMs } from './start-timeout-flag.ts';

test('--start-timeout takes 1 to 600 seconds', () => {
  assert.equal(startTimeoutMs('90'), 90_000);
  assert.equal(startTimeoutMs('2m'), 120_000);
  assert.equal(startTimeoutMs('1s'), 1_000);
  for (const bad of ['0', '500ms', '601', '11m', 'soon', '-5']) {
    assert.throws(() => startTimeoutMs(bad), (err: unknown) => err instanceof CliError && /^--start-timeout must be/.test(err.message), bad);
  }
});
