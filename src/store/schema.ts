// Opening the SQLite file: pragmas, the exclusive lock and the tables.
//
// The store's watches and lease timers live in the process that opened the file, so
// exactly one store may have it open: EXCLUSIVE locking makes a second opener fail
// fast instead of writing behind the first one's watchers.

import Database from 'better-sqlite3';
import { StoreInUseError, StoreSchemaError } from './errors.ts';

export type Db = Database.Database;

const SCHEMA_VERSION = 1;

const TABLES = `
  CREATE TABLE IF NOT EXISTS meta (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
  ) WITHOUT ROWID;

  CREATE TABLE IF NOT EXISTS kv (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    create_rev INTEGER NOT NULL,
    mod_rev    INTEGER NOT NULL,
    version    INTEGER NOT NULL,
    lease      INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS kv_by_lease ON kv (lease) WHERE lease <> 0;

  -- One row per event; event is the WatchEvent as JSON. key is repeated to filter by prefix.
  CREATE TABLE IF NOT EXISTS events (
    rev   INTEGER NOT NULL,
    seq   INTEGER NOT NULL,
    key   TEXT NOT NULL,
    event TEXT NOT NULL,
    PRIMARY KEY (rev, seq)
  ) WITHOUT ROWID;

  -- AUTOINCREMENT: a lease id is never reused, even after its lease is gone.
  CREATE TABLE IF NOT EXISTS leases (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    ttl        INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  );
  CREATE INDEX IF NOT EXISTS leases_by_expiry ON leases (expires_at);

  -- Like etcd, an empty store is at revision 1.
  INSERT OR IGNORE INTO meta (name, value) VALUES ('revision', 1), ('compactRevision', 0);
`;

/** Open (creating if needed) the store file, holding it exclusively until close. */
export function openDatabase(path: string): Db {
  const db = new Database(path, { timeout: 500 });
  try {
    // Must precede the first access: with EXCLUSIVE set first, WAL needs no shared memory.
    db.pragma('locking_mode = EXCLUSIVE');
    db.pragma('journal_mode = WAL');
    // FULL: a committed write survives a power cut, as it would on etcd.
    db.pragma('synchronous = FULL');
    // SQLite's own default page cache (2 MiB) instead of better-sqlite3's 16 MiB: the
    // controller reads the farm from its mirror, so the cache mostly held the write path's
    // pages, and at 10,000 sites it was ≈ 14 MB of `corral up`'s memory. A miss is a read
    // from the kernel's page cache.
    db.pragma('cache_size = -2000');
    checkVersion(db, path);
    db.exec(TABLES);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
    return db;
  } catch (err) {
    db.close();
    if (isBusy(err)) throw new StoreInUseError(path, { cause: err });
    throw err;
  }
}

function checkVersion(db: Db, path: string): void {
  const found = db.pragma('user_version', { simple: true }) as number;
  if (found > SCHEMA_VERSION) throw new StoreSchemaError(path, found, SCHEMA_VERSION);
}

function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}
