// The database service's background pass (run by the leading controller, like the
// reconciler), every `intervalMs` and on runOnce():
//   1. sizes: each database's size measured and kept in its record; over its quota it is
//      made read-only (`database.read_only` event), back under it writable again
//      (`database.writable`);
//   2. schedules: a database whose newest scheduled backup is older than its interval is
//      backed up (`database.backup`), then its scheduled backups beyond `keep` are pruned;
//   3. rotations: a login that is no longer current and that no assignment uses (the
//      site's roll is done) is dropped.
// One pass at a time; a failure is logged and the next pass tries again.

import { keys, type Assignment, type DatabaseRecord, type Site } from '../model/index.ts';
import type { Logger } from '../lib/log.ts';
import { backupDatabase, listBackups, pruneBackups, updateDatabase, type DatabaseDeps } from './database-writes.ts';
import type { EventLog } from './event-log.ts';
import { listRecords, readRecord } from './records.ts';

export interface DatabaseUpkeepOptions extends DatabaseDeps {
  events: EventLog;
  log: Logger;
  /** Default 30 s. */
  intervalMs?: number;
  /** The clock schedules are judged by (tests pass a fake one). */
  now?: () => number;
}

export interface DatabaseUpkeep {
  runOnce(): Promise<void>;
  close(): Promise<void>;
}

const MIB = 1024 * 1024;
/**
 * A rotated-out login is dropped only after no assignment has named it for this long, or for
 * its sites' longest drain timeout and a minute more if that is longer: a server whose
 * assignment is gone may still be draining and answering with its pooled connections.
 */
export const LOGIN_DROP_GRACE_MS = 150_000;
/** A size is written back when it moved this much (or the read-only state flips). */
const SIZE_STEP = 64 * 1024;

export function startDatabaseUpkeep(opts: DatabaseUpkeepOptions): DatabaseUpkeep {
  const now = opts.now ?? Date.now;
  /** Retired logins no assignment names, since when (this leader's memory: a new leader waits the grace again). */
  const unusedSince = new Map<string, number>();
  let chain: Promise<void> = Promise.resolve();
  let closed = false;
  const pass = async () => {
    const dbs = await listRecords<DatabaseRecord>(opts.store, keys.databases);
    if (dbs.length === 0) return;
    await measure(dbs);
    for (const db of dbs) if (db.backup) await scheduled(db, db.backup).catch((err: unknown) => opts.log.error({ event: 'database.backup_failed', err, database: db.name }, 'scheduled database backup failed'));
    await dropRetiredLogins(dbs);
  };
  const runOnce = (): Promise<void> => {
    const p = chain.then(pass);
    chain = p.catch((err: unknown) => opts.log.error({ event: 'database.upkeep_failed', err }, 'database upkeep pass failed'));
    return p;
  };
  const timer = setInterval(() => void (closed ? undefined : runOnce().catch(() => undefined)), opts.intervalMs ?? 30_000);
  timer.unref();

  async function measure(dbs: DatabaseRecord[]): Promise<void> {
    const sizes = await opts.service.sizes(dbs.map((d) => d.pgName));
    for (const db of dbs) {
      const size = sizes.get(db.pgName);
      if (size === undefined) continue;
      const over = size > db.quotaMb * MIB;
      const flips = over !== (db.readOnly === true);
      if (!flips && Math.abs(size - (db.sizeBytes ?? -SIZE_STEP)) < SIZE_STEP) continue;
      const ref = await readRecord<DatabaseRecord>(opts.store, keys.database(db.name));
      if (!ref || ref.value.pgName !== db.pgName) continue;
      const next: DatabaseRecord = { ...ref.value, sizeBytes: size, measuredAt: new Date().toISOString() };
      if (over) next.readOnly = true;
      else delete next.readOnly;
      if (flips) await opts.service.setReadOnly(db.pgName, over);
      if (!(await updateDatabase(opts.store, ref, next))) continue;
      Object.assign(db, next);
      if (flips) {
        const mb = (size / MIB).toFixed(1);
        await opts.events.record({
          type: 'farm', action: over ? 'database.read_only' : 'database.writable', target: `database/${db.name}`, customer: db.customer,
          message: over ? `database ${db.name} is ${mb} MiB, over its quota of ${db.quotaMb} MiB: read-only until it is back under` : `database ${db.name} is back under its quota (${mb} of ${db.quotaMb} MiB): writable again`,
        });
        opts.log.warn({ event: over ? 'database.read_only' : 'database.writable', database: db.name, sizeBytes: size, quotaMb: db.quotaMb }, 'database quota');
      }
    }
  }

  async function scheduled(db: DatabaseRecord, schedule: NonNullable<DatabaseRecord['backup']>): Promise<void> {
    const last = (await listBackups(opts.store, db.name)).filter((b) => b.kind === 'scheduled').at(-1);
    if (last && now() - Date.parse(last.createdAt) < schedule.everySeconds * 1000) return;
    const backup = await backupDatabase(opts, db, 'scheduled');
    // the record's time is the schedule's clock, so a fake clock drives the schedule in tests
    const pruned = await pruneBackups(opts.store, db.name, schedule.keep);
    await opts.events.record({ type: 'farm', action: 'database.backup', target: `database/${db.name}`, customer: db.customer, message: `scheduled backup ${backup.id} (${backup.size} bytes)${pruned.length ? `; pruned ${pruned.join(', ')}` : ''}` });
  }

  async function dropRetiredLogins(dbs: DatabaseRecord[]): Promise<void> {
    const used = new Set((await listRecords<Assignment>(opts.store, keys.assignments)).map((a) => a.database?.user).filter((u) => u !== undefined));
    for (const u of used) unusedSince.delete(u);
    const sites = await listRecords<Site>(opts.store, keys.sites);
    for (const db of dbs) {
      const drains = sites.filter((s) => s.database === db.name).map((s) => (s.drainTimeoutMs ?? 0) + 60_000);
      const grace = Math.max(LOGIN_DROP_GRACE_MS, ...drains);
      const retired = db.logins.slice(0, -1).filter((l) => {
        if (used.has(l.user)) return false;
        const since = unusedSince.get(l.user) ?? now();
        unusedSince.set(l.user, since);
        return now() - since >= grace;
      });
      if (retired.length === 0) continue;
      for (const l of retired) await opts.service.dropLogin(db.pgName, l.user);
      const ref = await readRecord<DatabaseRecord>(opts.store, keys.database(db.name));
      if (!ref) continue;
      const gone = new Set(retired.map((l) => l.user));
      for (const u of gone) unusedSince.delete(u);
      await updateDatabase(opts.store, ref, { ...ref.value, logins: ref.value.logins.filter((l) => !gone.has(l.user)) });
      opts.log.info({ event: 'database.login_dropped', database: db.name, users: [...gone] }, 'rotated-out logins dropped');
    }
  }

  return {
    runOnce,
    async close() {
      closed = true;
      clearInterval(timer);
      await chain;
    },
  };
}
