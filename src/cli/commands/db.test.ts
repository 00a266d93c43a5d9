import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CliError } from '../errors.ts';
import { seconds } from './db.ts';
import { corralBin, startCliHarness } from '../cli-testing.ts';

test('--backup-every takes a duration in s, m, h or d, and refuses anything else with the flag named', () => {
  assert.equal(seconds('24h'), 86_400);
  assert.equal(seconds('30m'), 1_800);
  assert.equal(seconds('7d'), 604_800);
  assert.equal(seconds('90s'), 90);
  for (const bad of ['24', '1.5h', 'h', '-1h', '24 h', '1w', '']) {
    assert.throws(() => seconds(bad), (err: Error) => err instanceof CliError && /--backup-every must be a duration/.test(err.message), bad);
  }
});

test("db delete and an in-place db restore of a database the token cannot see say so before asking anything", async (t) => {
  const h = await startCliHarness(t);
  const token = (await h.customer('acme')).token!;
  for (const args of [['db', 'delete', 'theirs'], ['db', 'restore', 'theirs', '--backup', 'b1']]) {
    const r = await corralBin(['--api', h.url, ...args], { CORRAL_TOKEN: token }, 'n\n');
    assert.equal(r.code, 1, args.join(' '));
    assert.doesNotMatch(r.err, /\[y\/N\]/, `${args.join(' ')}: no question`);
    assert.match(r.err, /not found|no such|not_found/i, `${args.join(' ')}: ${r.err}`);
  }
});
