// Customer databases: the store records (keys.database, keys.databaseBackup) and the
// matching PostgreSQL changes, in an order that never leaves a record without its
// database: the name is claimed first (create-if-absent), PostgreSQL changed next, and a
// failure there removes the claim. Passwords are sealed (database-secrets.ts) and shown
// only by `credentials` (and once, on create, rotate and restore --into).

import { randomBytes } from 'node:crypto';
import { keys, type DatabaseBackup, type DatabaseCredentials, type DatabaseRecord, type DatabaseView, type EngineRecord, type Site } from '../model/index.ts';
import type { Store } from '../store/types.ts';
import type { BlobStore } from './blob-store.ts';
import type { DatabaseOptions } from './options.ts';
import { ConcurrentUpdateError, ConnectionQuotaError, DatabaseInUseError, DatabaseNameUnavailableError, DatabaseOperationError, NoDatabaseEngineError, NotFoundError } from './errors.ts';
import { quotaCounter } from './counter.ts';
import { versionGuard, type WriteGuard } from './write-guard.ts';
import { listRecords, readRecord, type Stored } from './records.ts';
import { byText } from '../lib/text-order.ts';

export interface DatabaseDeps extends DatabaseOptions {
  store: Store;
  blobs: BlobStore;
  replicateBlob?: (blob: { sha256: string; size: number; path: string }) => Promise<void>;
}

export const DEFAULT_CONNECTION_LIMIT = 20;
export const DEFAULT_QUOTA_MB = 1024;

export type { DatabaseView };

/** A login as the API hands it to the owner, with where a VS finds it. */
export interface Credentials extends DatabaseCredentials {
  /** Where a VS reaches it is set by its engine (PGHOST, PGPORT, DATABASE_URL). */
  note: string;
}

export function databaseView(db: DatabaseRecord): DatabaseView {
  return {
    name: db.name, customer: db.customer, pgDatabase: db.pgName, user: db.logins.at(-1)!.user,
    connectionLimit: db.connectionLimit, quotaMb: db.quotaMb,
    ...(db.sizeBytes !== undefined ? { sizeBytes: db.sizeBytes } : {}),
    readOnly: db.readOnly === true,
    ...(db.backup ? { backup: db.backup } : {}),
    createdAt: db.createdAt,
  };
}

export function credentialsOf(deps: Pick<DatabaseDeps, 'secrets'>, db: DatabaseRecord): Credentials {
  const login = db.logins.at(-1)!;
  return { database: db.pgName, user: login.user, password: deps.secrets.open(login.sealedPassword), note: 'a virtual server of a site bound to this database gets PGHOST, PGPORT and DATABASE_URL from its engine' };
}

export interface NewDatabase {
  name: string;
  customer: string;
  connectionLimit?: number;
  quotaMb?: number;
  backup?: { everySeconds: number; keep: number };
}

/**
 * What one customer's own token may ask of the database server in all: the sum of its
 * databases' connectionLimit (PostgreSQL's max_connections is shared by every customer;
 * one customer's 196 connections had left another none). An admin may give more.
 */
export const CUSTOMER_DB_CONNECTIONS = 100;

/**
 * The customer's databases, `db` as it would be, within CUSTOMER_DB_CONNECTIONS: the
 * guard for the write's transaction (write-guard.ts; the customer's quota key, shared
 * with its server quota), so that concurrent creates cannot together pass; else 403.
 */
export async function connectionBudget(store: Store, db: Pick<DatabaseRecord, 'name' | 'customer' | 'connectionLimit'>): Promise<WriteGuard> {
  const guard = await versionGuard(store, keys.counter(quotaCounter(db.customer)));
  const others = (await listRecords<DatabaseRecord>(store, keys.databases)).filter((d) => d.customer === db.customer && d.name !== db.name);
  const total = others.reduce((n, d) => n + d.connectionLimit, db.connectionLimit);
  if (total > CUSTOMER_DB_CONNECTIONS) throw new ConnectionQuotaError(db.customer, total, CUSTOMER_DB_CONNECTIONS);
  return guard;
}

/** guarded: a customer's own token (its connection budget, connectionBudget); an admin's create is not. */
export async function createDatabase(deps: DatabaseDeps, input: NewDatabase, guarded = false): Promise<{ record: DatabaseRecord; credentials: Credentials }> {
  await requireDatabaseEngine(deps);
  const pgName = `db_${randomBytes(6).toString('hex')}`;
  const password = newPassword();
  const record: DatabaseRecord = {
    name: input.name, customer: input.customer, pgName,
    logins: [{ user: `${pgName}_1`, sealedPassword: deps.secrets.seal(password), createdAt: new Date().toISOString() }],
    connectionLimit: input.connectionLimit ?? DEFAULT_CONNECTION_LIMIT,
    quotaMb: input.quotaMb ?? DEFAULT_QUOTA_MB,
    ...(input.backup ? { backup: input.backup } : {}),
    createdAt: new Date().toISOString(),
  };
  const key = keys.database(input.name);
  const guard = guarded ? await connectionBudget(deps.store, record) : undefined;
  // the customer's record must still be there: a database claimed while its customer is
  // being deleted would outlive it, and a customer re-created under the name would find it
  const owner = { key: keys.customer(input.customer), target: 'create', op: '>', value: 0 } as const;
  const claimed = await deps.store.txn({
    compare: [{ key, target: 'create', op: '=', value: 0 }, owner, ...(guard ? [guard.compare] : [])],
    success: [{ type: 'put', key, value: JSON.stringify(record) }, ...(guard ? [guard.bump] : [])],
  });
  if (!claimed.succeeded && (await deps.store.get(owner.key)) === undefined) throw new NotFoundError(`customer ${input.customer}`);
  if (!claimed.succeeded && guard && (await deps.store.get(key)) === undefined) throw new ConcurrentUpdateError(`customer ${input.customer}'s databases`);
  if (!claimed.succeeded) throw new DatabaseNameUnavailableError(input.name);
  try {
    await deps.service.create(pgName, record.connectionLimit, { user: record.logins[0]!.user, password });
  } catch (err) {
    await deps.service.drop(pgName, [record.logins[0]!.user]).catch(() => undefined);
    await deps.store.delete(key);
    throw new DatabaseOperationError('creating the database', (err as Error).message);
  }
  return { record, credentials: credentialsOf(deps, record) };
}

/**
 * On a farm whose PostgreSQL runs on engines (onEngines), one of them must be registered
 * with a member (EngineRecord.database) before anything is claimed: else the create would
 * hold the name for a minute waiting for a primary, then give it up.
 */
async function requireDatabaseEngine(deps: DatabaseDeps): Promise<void> {
  if (!deps.onEngines) return;
  const engines = await listRecords<EngineRecord>(deps.store, keys.engines);
  if (!engines.some((e) => e.database)) throw new NoDatabaseEngineError();
}

/** Refused while a site uses it; its backups' records go with it (their blobs to the collector). */
export async function deleteDatabase(deps: DatabaseDeps, ref: Stored<DatabaseRecord>): Promise<void> {
  const db = ref.value;
  const users = (await sitesUsing(deps.store, db)).map((s) => s.name);
  if (users.length > 0) throw new DatabaseInUseError(db.name, users.join(', '));
  const res = await deps.store.txn({
    compare: [{ key: ref.kv.key, target: 'mod', op: '=', value: ref.kv.modRevision }],
    success: [{ type: 'delete', key: ref.kv.key }, { type: 'deletePrefix', prefix: keys.backupsOf(db.name) }],
  });
  if (!res.succeeded) throw new ConcurrentUpdateError(`database ${db.name}`);
  await deps.service.drop(db.pgName, db.logins.map((l) => l.user));
}

/** A new login with a new password becomes current; the old ones stay valid until no server uses them (database-upkeep.ts). */
export async function rotateDatabase(deps: DatabaseDeps, ref: Stored<DatabaseRecord>): Promise<{ record: DatabaseRecord; credentials: Credentials }> {
  const db = ref.value;
  const n = Math.max(...db.logins.map((l) => Number(/_(\d+)$/.exec(l.user)?.[1] ?? 0))) + 1;
  const password = newPassword();
  const login = { user: `${db.pgName}_${n}`, sealedPassword: deps.secrets.seal(password), createdAt: new Date().toISOString() };
  await deps.service.addLogin(db.pgName, { user: login.user, password }).catch((err: unknown) => {
    throw new DatabaseOperationError('adding a login', (err as Error).message);
  });
  const record = { ...db, logins: [...db.logins, login] };
  if (!(await updateDatabase(deps.store, ref, record))) {
    await deps.service.dropLogin(db.pgName, login.user).catch(() => undefined);
    throw new ConcurrentUpdateError(`database ${db.name}`);
  }
  return { record, credentials: credentialsOf(deps, record) };
}

/** Compare-and-swap on the record's modRevision; false when it changed meanwhile. */
export async function updateDatabase(store: Store, ref: Stored<DatabaseRecord>, next: DatabaseRecord, guard?: WriteGuard): Promise<boolean> {
  const res = await store.txn({
    compare: [{ key: ref.kv.key, target: 'mod', op: '=', value: ref.kv.modRevision }, ...(guard ? [guard.compare] : [])],
    success: [{ type: 'put', key: ref.kv.key, value: JSON.stringify(next) }, ...(guard ? [guard.bump] : [])],
  });
  return res.succeeded;
}

/** pg_dump -Fc (one snapshot: consistent under writes) streamed into the blob store, then its record. */
export async function backupDatabase(deps: DatabaseDeps, db: DatabaseRecord, kind: DatabaseBackup['kind']): Promise<DatabaseBackup> {
  const started = Date.now();
  const dump = deps.service.dump(db.pgName);
  let blob;
  try {
    [blob] = await Promise.all([deps.blobs.putStream(dump.stream, { maxBytes: Number.MAX_SAFE_INTEGER, hold: true }), dump.done]);
  } catch (err) {
    dump.stream.destroy();
    throw new DatabaseOperationError(`backing up database ${db.name}`, (err as Error).message);
  }
  try {
    if (deps.replicateBlob) await deps.replicateBlob(blob);
    const backup: DatabaseBackup = {
      id: `b${String(started).padStart(13, '0')}-${randomBytes(3).toString('hex')}`,
      database: db.name, customer: db.customer, sha256: blob.sha256, size: blob.size, kind,
      durationMs: Date.now() - started, createdAt: new Date(started).toISOString(),
    };
    await deps.store.put(keys.databaseBackup(db.name, backup.id), JSON.stringify(backup));
    return backup;
  } finally {
    blob.unhold();
  }
}

export async function listBackups(store: Store, db: string): Promise<DatabaseBackup[]> {
  return (await listRecords<DatabaseBackup>(store, keys.backupsOf(db))).sort((a, b) => byText(a.id, b.id));
}

/**
 * Restores a backup of `from` into `from` itself (emptied first) or, with `into`, into a new
 * database of the same customer (with its own login, returned once).
 */
export async function restoreDatabase(deps: DatabaseDeps, from: DatabaseRecord, backupId: string, into?: string, guarded = false): Promise<{ record: DatabaseRecord; credentials?: Credentials; durationMs: number }> {
  const backup = await readRecord<DatabaseBackup>(deps.store, keys.databaseBackup(from.name, backupId));
  if (!backup) throw new NotFoundError(`backup ${backupId} of database ${from.name}`);
  if (!(await deps.blobs.has(backup.value.sha256))) throw new NotFoundError(`the archive of backup ${backupId}`);
  const started = Date.now();
  let target = from;
  let credentials: Credentials | undefined;
  if (into !== undefined) {
    ({ record: target, credentials } = await createDatabase(deps, { name: into, customer: from.customer, connectionLimit: from.connectionLimit, quotaMb: from.quotaMb }, guarded));
  }
  // pg_restore reads the blob in place; the blob store's files are read-only to everyone else
  const archive = deps.blobs.path(backup.value.sha256);
  await deps.service.restore(target.pgName, target.connectionLimit, archive).catch((err: unknown) => {
    throw new DatabaseOperationError(`restoring backup ${backupId} into database ${target.name}`, (err as Error).message);
  });
  // made again from scratch: a database over its quota stays read-only (the upkeep lifts it once under)
  if (target.readOnly) await deps.service.setReadOnly(target.pgName, true);
  return { record: target, ...(credentials ? { credentials } : {}), durationMs: Date.now() - started };
}

/** Deletes the records of the oldest scheduled backups beyond `keep` (their blobs go to the collector). */
export async function pruneBackups(store: Store, db: string, keep: number): Promise<string[]> {
  const scheduled = (await listBackups(store, db)).filter((b) => b.kind === 'scheduled');
  const gone = scheduled.slice(0, Math.max(0, scheduled.length - keep));
  for (const b of gone) await store.delete(keys.databaseBackup(db, b.id));
  return gone.map((b) => b.id);
}

export async function sitesUsing(store: Store, db: Pick<DatabaseRecord, 'name' | 'customer'>): Promise<Site[]> {
  return (await listRecords<Site>(store, keys.sites)).filter((s) => s.database === db.name && s.customer === db.customer);
}

function newPassword(): string {
  return randomBytes(24).toString('base64url');
}

/** A customer's databases, with their revisions. */
export async function databasesOf(store: Store, customer: string): Promise<Stored<DatabaseRecord>[]> {
  return (await store.range(keys.databases)).kvs.map((kv) => ({ kv, value: JSON.parse(kv.value) as DatabaseRecord })).filter((d) => d.value.customer === customer);
}

/** Deletes them (their sites gone first); without a database service, only the records (PostgreSQL keeps an unnamed database no login can reach). */
export async function deleteDatabasesOf(store: Store, blobs: BlobStore, databases: DatabaseOptions | undefined, owned: Stored<DatabaseRecord>[]): Promise<string[]> {
  for (const db of owned) {
    const fresh = await readRecord<DatabaseRecord>(store, db.kv.key);
    if (!fresh) continue;
    if (databases) await deleteDatabase({ ...databases, store, blobs }, fresh);
    else await store.txn({ compare: [], success: [{ type: 'delete', key: db.kv.key }, { type: 'deletePrefix', prefix: keys.backupsOf(db.value.name) }] });
  }
  return owned.map((d) => d.value.name);
}
