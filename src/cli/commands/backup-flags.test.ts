import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { it } from 'node:test';
import { backupPlan, period } from './backup-flags.ts';

it('--backup-every takes a period with its unit, at least a second', () => {
  assert.equal(period('24h'), 86_400_000);
  assert.equal(period('30m'), 1_800_000);
  assert.equal(period('90s'), 90_000);
  assert.equal(period('1.5h'), 5_400_000);
  assert.equal(period('1d'), 86_400_000);
  for (const bad of ['24', 'h', '-1h', '500ms', '0s', '1w', '', ' 24h', '24h ', '0x10s', '1e1s']) assert.throws(() => period(bad), /--backup-every must be a period of at least 1s/, bad);
});

it('the schedule: defaults, and --backup-keep/--backup-dir only with --backup-every', () => {
  assert.equal(backupPlan({}, '/farm'), undefined);
  assert.deepEqual(backupPlan({ backupEvery: '1h' }, '/farm'), { everyMs: 3_600_000, keep: 7, dir: join('/farm', 'backups') });
  assert.deepEqual(backupPlan({ backupEvery: '1h', backupKeep: '2', backupDir: 'b' }, '/farm'), { everyMs: 3_600_000, keep: 2, dir: resolve('b') });
  assert.throws(() => backupPlan({ backupKeep: '2' }, '/farm'), /need --backup-every/);
  assert.throws(() => backupPlan({ backupDir: 'x' }, '/farm'), /need --backup-every/);
  for (const bad of ['0', '1.5', 'x', '10001']) assert.throws(() => backupPlan({ backupEvery: '1h', backupKeep: bad }, '/farm'), /--backup-keep must be a number from 1 to 10000/, bad);
});
