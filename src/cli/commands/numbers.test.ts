// Numbers on the command line are plain decimal: 0x10, 1e1, 0b1, +5, 5.0, " 5 " and "" are
// refused in one line naming the flag (Number() alone takes them all), for every
// whole-number flag; `corral up` refuses them before anything starts.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CliError } from '../errors.ts';
import { run } from '../main.ts';
import { decimal, wholeNumber } from './numbers.ts';

/** Forms Number() takes that are not plain decimal digits. */
const NOT_DECIMAL = ['0x10', '0X10', '1e1', '0b1', '0o7', '+5', '-5', '5.0', '5.', '.5', ' 5 ', '5 ', '\t5', '', '1_000', 'Infinity', '１２'];

test('wholeNumber: decimal digits only, within the range; the error names the flag and the value', () => {
  assert.equal(wholeNumber('0', '--n'), 0);
  assert.equal(wholeNumber('16', '--n'), 16);
  assert.equal(wholeNumber('007', '--n'), 7, 'leading zeros are still decimal');
  assert.equal(wholeNumber(String(Number.MAX_SAFE_INTEGER), '--n'), Number.MAX_SAFE_INTEGER);
  for (const bad of [...NOT_DECIMAL, '9007199254740993', '99999999999999999999']) {
    assert.throws(() => wholeNumber(bad, '--n'), (e: unknown) => e instanceof CliError && e.message === `--n must be a whole number, got "${bad}"`, JSON.stringify(bad));
  }
  assert.equal(wholeNumber('1024', '--n', { min: 1, max: 1024 }), 1024);
  assert.throws(() => wholeNumber('0', '--n', { min: 1, max: 1024 }), /--n must be a whole number from 1 to 1024, got "0"/);
  assert.throws(() => wholeNumber('0x10', '--n', { min: 1, max: 1024 }), /--n must be a whole number from 1 to 1024, got "0x10"/);
  assert.throws(() => wholeNumber('1', '--n', { min: 2 }), /--n must be a whole number >= 2, got "1"/);
  assert.throws(() => wholeNumber('0x50', '--port', { max: 65535, expected: 'a port number (0–65535)' }), /--port must be a port number \(0–65535\), got "0x50"/);
});

test('decimal (seconds, cores, ratios): digits with an optional fraction, else NaN', () => {
  for (const [v, n] of [['0', 0], ['12', 12], ['0.5', 0.5], ['.5', 0.5], ['5.', 5], ['1.25', 1.25]] as const) assert.equal(decimal(v), n, v);
  for (const bad of ['0x10', '1e1', '0b1', '0o7', '+5', '-5', ' 5 ', '', '.', '1.2.3', 'Infinity', 'NaN']) assert.ok(Number.isNaN(decimal(bad)), JSON.stringify(bad));
});

test('corral up refuses a non-decimal --api-port (and --http-port, --https-port) in one line before anything starts; decimal ports pass', async (t) => {
  const work = await mkdtemp(join(tmpdir(), 'corral-up-numbers-'));
  t.after(() => rm(work, { recursive: true, force: true }));
  const dir = join(work, 'farm');
  const up = async (...flags: string[]) => {
    const err: string[] = [];
    const out: string[] = [];
    const code = await run(['up', '--dir', dir, ...flags], { out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out, err };
  };
  for (const flag of ['--api-port', '--http-port', '--https-port']) {
    for (const bad of ['0x1F40', '0x10', '1e1', '0b1', '+5', '5.0', '', ' 5 ']) {
      // --runtime bogus (checked after the ports): were the port taken, the run still stops there, and this test fails instead of starting a farm
      const r = await up(flag, bad, '--runtime', 'bogus');
      assert.equal(r.code, 1, `${flag} ${JSON.stringify(bad)} is refused`);
      assert.deepEqual(r.err, [`error: ${flag} must be a port number (0–65535), got "${bad}"`], `${flag} ${JSON.stringify(bad)}: one line naming the flag`);
      assert.deepEqual(r.out, [], 'nothing started: no banner');
    }
  }
  assert.equal(existsSync(dir), false, 'nothing started: no state folder was made');
  // a decimal port passes its check: the next bad flag (--runtime, checked after the ports) is the one refused
  // (each listener its own port: the same nonzero port twice is refused, up-checks.test.ts)
  for (const good of [['0', '0', '0'], ['8000', '8001', '8002'], ['65535', '65534', '65533']]) {
    const r = await up('--api-port', good[0]!, '--http-port', good[1]!, '--https-port', good[2]!, '--runtime', 'bogus');
    assert.equal(r.code, 1);
    assert.deepEqual(r.err, ['error: --runtime must be auto, process or namespace, got "bogus"'], `ports ${good.join(', ')} are accepted`);
  }
  assert.deepEqual((await up('--api-port', '65536', '--runtime', 'bogus')).err, ['error: --api-port must be a port number (0–65535), got "65536"'], 'the range still holds');
  assert.equal(existsSync(dir), false);
});
