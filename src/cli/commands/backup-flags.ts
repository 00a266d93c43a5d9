// --backup-every / --backup-keep / --backup-dir, shared by `corral up` and `corral controller`.
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { CliError } from '../errors.ts';
import { durationMs } from './duration.ts';
import { wholeNumber } from './numbers.ts';

export interface BackupFlags {
  backupEvery?: string;
  backupKeep?: string;
  backupDir?: string;
}

export interface BackupPlan {
  everyMs: number;
  keep: number;
  dir: string;
}

export function addBackupFlags(cmd: Command): Command {
  return cmd
    .option('--backup-every <period>', 'take a farm backup this often (e.g. 24h, 30m, 90s), as <backup-dir>/farm-<UTC time>.tar.gz; corral controller: the leader only')
    .option('--backup-keep <n>', 'scheduled backups to keep, the newest (default 7); older farm-*.tar.gz there are deleted')
    .option('--backup-dir <dir>', 'where scheduled backups go (default <dir>/backups)');
}

const MIN_MS = 1000;

/** The schedule the flags ask for, or undefined without --backup-every. */
export function backupPlan(o: BackupFlags, farmDir: string): BackupPlan | undefined {
  if (o.backupEvery === undefined) {
    if (o.backupKeep !== undefined || o.backupDir !== undefined) throw new CliError('--backup-keep and --backup-dir need --backup-every <period>');
    return undefined;
  }
  return { everyMs: period(o.backupEvery), keep: keep(o.backupKeep ?? '7'), dir: resolve(o.backupDir ?? join(farmDir, 'backups')) };
}

/** "24h", "30m", "90s", "1.5h", "1d" → milliseconds (at least a second; a unit is needed). */
export function period(v: string): number {
  const ms = durationMs(v, undefined, ['ms', 's', 'm', 'h', 'd']);
  if (ms === undefined || ms < MIN_MS) throw new CliError(`--backup-every must be a period of at least 1s such as 24h, 30m or 90s, got "${v}"`);
  return ms;
}

function keep(v: string): number {
  return wholeNumber(v, '--backup-keep', { min: 1, max: 10_000, expected: 'a number from 1 to 10000' });
}
