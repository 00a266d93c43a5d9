// Customers' databases in a farm backup, and back out of it.
//
// Backup: every database the snapshot's records name is dumped afresh (pg_dump -Fc, one
// snapshot each, consistent under writes) into the blob store, right after the records are
// read: the archive then holds each database as it was at backup time, not as it was at its
// last scheduled backup (which may be a day old, or never taken). The dumps travel as blobs;
// `databases/dumps.json` (kind "database") says which blob is which database's. The
// database backups' own blobs travel too (BLOB_REFERRERS), so `corral db backups` lists
// and restores them on the restored farm. The passwords' key, `<dir>/database-key`, is a
// file part (farm-backup-format.ts): without it no sealed password opens.
//
// Restore (restoreDatabases): per database record, its group role and every login with its
// password (opened with the restored key), then its data: the fresh dump, or when the
// archive has none (a backup taken while PostgreSQL was unavailable) its newest database
// backup, or else it stays empty; read-only again if it was over its quota.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { keys, type DatabaseBackup, type DatabaseRecord } from '../model/index.ts';
import type { KeyValue } from '../store/types.ts';
import type { BlobStore } from './blob-store.ts';
import type { DatabaseSecrets } from './database-secrets.ts';
import { BackupInvalidError, DatabaseOperationError } from './errors.ts';
import type { BackupRecord, RestoreContext } from './farm-backup-format.ts';
import type { DatabaseService } from './options.ts';
import { byText } from '../lib/text-order.ts';

export const DATABASE_DUMPS_PATH = 'databases/dumps.json';
export const DATABASE_PART_KIND = 'database';
export const DATABASE_KEY_FILE = 'database-key';

export interface DatabaseDump {
  database: string;
  pgName: string;
  sha256: string;
  size: number;
  takenAt: string;
}

export interface DatabaseDumps {
  dumps: DatabaseDump[];
}

export interface TakenDumps {
  dumps: DatabaseDump[];
  /** Lets the blob collector have the dumps again (the archive's handles keep their bytes). */
  release(): void;
}

/** A fresh dump of every database `kvs` names (those in `done` are not dumped again). */
export async function dumpDatabases(service: Pick<DatabaseService, 'dump'>, blobs: BlobStore, kvs: readonly KeyValue[], done: Map<string, DatabaseDump> = new Map()): Promise<TakenDumps> {
  const holds: (() => void)[] = [];
  const release = () => holds.splice(0).forEach((unhold) => unhold());
  try {
    for (const kv of kvs) {
      if (!kv.key.startsWith(keys.databases)) continue;
      const db = JSON.parse(kv.value) as DatabaseRecord;
      if (done.get(db.name)?.pgName === db.pgName) continue;
      const takenAt = new Date().toISOString();
      const dump = service.dump(db.pgName);
      try {
        const [blob] = await Promise.all([blobs.putStream(dump.stream, { maxBytes: Number.MAX_SAFE_INTEGER, hold: true }), dump.done]);
        holds.push(blob.unhold);
        done.set(db.name, { database: db.name, pgName: db.pgName, sha256: blob.sha256, size: blob.size, takenAt });
      } catch (err) {
        dump.stream.destroy();
        throw new DatabaseOperationError(`dumping database ${db.name} for the farm backup`, (err as Error).message);
      }
    }
  } catch (err) {
    release();
    throw err;
  }
  const names = new Set(kvs.filter((kv) => kv.key.startsWith(keys.databases)).map((kv) => kv.key.slice(keys.databases.length)));
  return { dumps: [...done.values()].filter((d) => names.has(d.database)), release };
}

export interface DatabasesRestored {
  /** By where their data came from. */
  fresh: string[];
  fromBackup: string[];
  empty: string[];
}

/** Makes every database of the restored records in `service` (an empty server), with its logins and data. */
export async function restoreDatabases(ctx: RestoreContext, service: DatabaseService, secrets: DatabaseSecrets): Promise<DatabasesRestored> {
  const out: DatabasesRestored = { fresh: [], fromBackup: [], empty: [] };
  const dumps = await readDumps(ctx);
  for (const db of databasesOf(ctx.records)) {
    const logins = db.logins.map((l) => ({ user: l.user, password: openPassword(secrets, db, l.sealedPassword) }));
    await service.create(db.pgName, db.connectionLimit, logins[0]!);
    for (const l of logins.slice(1)) await service.addLogin(db.pgName, l);
    const fresh = dumps.get(db.name);
    const source = fresh?.pgName === db.pgName ? fresh.sha256 : newestBackup(ctx.records, db.name)?.sha256;
    if (source) await service.restore(db.pgName, db.connectionLimit, ctx.blobs.path(source));
    if (db.readOnly) await service.setReadOnly(db.pgName, true);
    (source === undefined ? out.empty : source === fresh?.sha256 ? out.fresh : out.fromBackup).push(db.name);
  }
  return out;
}

/** The database records a restore carries over. */
export function databasesOf(records: readonly BackupRecord[]): DatabaseRecord[] {
  return records.filter((r) => r.key.startsWith(keys.databases) && r.leased !== true).map((r) => JSON.parse(r.value) as DatabaseRecord);
}

async function readDumps(ctx: RestoreContext): Promise<Map<string, DatabaseDump>> {
  if (!ctx.manifest.parts.some((p) => p.path === DATABASE_DUMPS_PATH)) return new Map();
  let parsed: DatabaseDumps;
  try {
    parsed = JSON.parse(await readFile(join(ctx.staging, DATABASE_DUMPS_PATH), 'utf8')) as DatabaseDumps;
  } catch (err) {
    throw new BackupInvalidError(`${DATABASE_DUMPS_PATH} is not valid JSON: ${(err as Error).message}`);
  }
  const blobs = new Set(ctx.manifest.parts.filter((p) => p.kind === 'blob').map((p) => p.sha256));
  const out = new Map<string, DatabaseDump>();
  for (const d of Array.isArray(parsed?.dumps) ? parsed.dumps : []) {
    if (typeof d?.database !== 'string' || typeof d.sha256 !== 'string' || !blobs.has(d.sha256)) throw new BackupInvalidError(`${DATABASE_DUMPS_PATH} names a dump the archive does not hold (${JSON.stringify(d?.database)})`);
    out.set(d.database, d);
  }
  return out;
}

function newestBackup(records: readonly BackupRecord[], database: string): DatabaseBackup | undefined {
  const mine = records.filter((r) => r.key.startsWith(keys.backupsOf(database))).map((r) => JSON.parse(r.value) as DatabaseBackup);
  return mine.sort((a, b) => byText(a.createdAt, b.createdAt)).at(-1);
}

function openPassword(secrets: DatabaseSecrets, db: DatabaseRecord, sealed: string): string {
  try {
    return secrets.open(sealed);
  } catch {
    throw new BackupInvalidError(`the password of database ${db.name} does not open with the backup's ${DATABASE_KEY_FILE}: the key and the records are not of the same farm`);
  }
}
