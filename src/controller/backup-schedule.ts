// Scheduled farm backups with retention: every `everyMs` one archive is written into `dir`
// as farm-<UTC time>.tar.gz (temp file, fsync, rename: a file under that name is whole),
// then all but the newest `keep` of them are deleted. Files of any other name are never
// touched. In cluster mode only the leader takes them (`active`). A failed backup is logged
// (event farm.backup-failed) and the next one comes at its time.

import { createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../lib/log.ts';
import { createSweeper } from '../lib/sweeper.ts';
import { takeFarmSnapshot, type FarmSnapshotSource } from './farm-backup-snapshot.ts';
import { writeFarmBackup } from './farm-backup-writer.ts';

export interface BackupScheduleOptions {
  source: FarmSnapshotSource;
  dir: string;
  everyMs: number;
  /** How many archives to keep (the newest). */
  keep: number;
  log: Logger;
  /** Cluster mode: take a backup only while this is true (the leader). Default always. */
  active?: () => boolean;
}

export interface BackupSchedule {
  /** Take one backup now (if active) and prune. */
  runOnce(): Promise<void>;
  close(): Promise<void>;
}

const NAME = /^farm-\d{8}T\d{9}Z\.tar\.gz$/;

export function startBackupSchedule(opts: BackupScheduleOptions): BackupSchedule {
  if (!Number.isSafeInteger(opts.everyMs) || opts.everyMs < 1) throw new TypeError(`everyMs must be a positive integer, got ${opts.everyMs}`);
  if (!Number.isSafeInteger(opts.keep) || opts.keep < 1) throw new TypeError(`keep must be a positive integer, got ${opts.keep}`);
  const sweeper = createSweeper({
    intervalMs: opts.everyMs,
    debounceMs: 0,
    jitter: 0, // a backup every `everyMs`, as the operator asked (the collectors' spread would let its time of day wander)
    onError: (err) => opts.log.error({ err, event: 'farm.backup-failed', dir: opts.dir }, 'scheduled farm backup failed'),
    pass: async () => {
      if (opts.active && !opts.active()) return;
      const file = await backupInto(opts.source, opts.dir);
      const pruned = await prune(opts.dir, opts.keep);
      opts.log.info({ event: 'farm.backup', file, pruned }, 'scheduled farm backup written');
    },
  });
  return { runOnce: () => sweeper.runOnce(), close: () => sweeper.close() };
}

/** Writes one archive into `dir`; returns its path. */
export async function backupInto(source: FarmSnapshotSource, dir: string): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const stamp = new Date().toISOString().replace(/[-:.]/g, '');
  const file = join(dir, `farm-${stamp}.tar.gz`);
  const tmp = join(dir, `.farm-${stamp}.tar.gz.partial`);
  try {
    await writeFarmBackup(await takeFarmSnapshot(source), createWriteStream(tmp, { mode: 0o600, flags: 'wx' }));
    const fh = await open(tmp, 'r');
    await fh.sync().finally(() => fh.close());
    await rename(tmp, file);
    return file;
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** Deletes all but the newest `keep` farm-*.tar.gz in `dir`; returns the names deleted. */
export async function prune(dir: string, keep: number): Promise<string[]> {
  const names = (await readdir(dir)).filter((n) => NAME.test(n)).sort();
  const gone = names.slice(0, Math.max(0, names.length - keep));
  for (const n of gone) await rm(join(dir, n), { force: true });
  return gone;
}
