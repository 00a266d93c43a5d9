// The embedded store: the Store interface on one SQLite file (WAL), with watches
// and lease expiry in this process. Every write runs synchronously inside one
// SQLite transaction, so calls take effect in the order they are made and a
// revision is never half-applied; watchers hear of it only after the commit.

import { LeaseNotFoundError, StoreClosedError } from './errors.ts';
import { compareHolds } from './compare.ts';
import { openDatabase, type Db } from './schema.ts';
import { SqliteLeases } from './sqlite-leases.ts';
import { SqliteTables } from './sqlite-tables.ts';
import { requireKey, validateBranch } from './txn-validate.ts';
import { WatchHub } from './watch-hub.ts';
import type { EventBatch, OnEvents } from './watch-stream.ts';
import { WriteBatch } from './write-batch.ts';
import type { KeyValue, PutOptions, RangeResult, Store, TxnRequest, TxnResult, WatchEvent, WatchOptions, Watcher } from './types.ts';

export interface SqliteStoreOptions {
  /** How often the lease timer looks for expired leases. Default 250 ms. */
  leaseCheckIntervalMs?: number;
  /** Revisions of history kept for watches from a past revision. Default 10000. */
  historyRevisions?: number;
  /** Wall clock in ms for lease expiry (tests move it). Default Date.now. */
  now?: () => number;
}

/** Open (or create) the store in one SQLite file. Leases that ran out while it was closed are expired now. */
export async function openSqliteStore(path: string, opts: SqliteStoreOptions = {}): Promise<Store> {
  const db = openDatabase(path);
  try {
    const store = new SqliteStore(db, opts);
    store.leases.expireDue();
    store.leases.startTimer(opts.leaseCheckIntervalMs ?? 250);
    return store;
  } catch (err) {
    db.close();
    throw err;
  }
}

class SqliteStore implements Store {
  readonly kind = 'sqlite';
  readonly leases: SqliteLeases;
  private readonly tables: SqliteTables;
  private readonly hub: WatchHub;
  private readonly historyRevisions: number;
  private rev: number;
  private compactRev: number;
  private closed = false;

  constructor(
    private readonly db: Db,
    opts: SqliteStoreOptions,
  ) {
    this.tables = new SqliteTables(db);
    this.historyRevisions = Math.max(1, opts.historyRevisions ?? 10_000);
    this.rev = this.tables.getMeta('revision');
    this.compactRev = this.tables.getMeta('compactRevision');
    this.leases = new SqliteLeases(this.tables, opts.now ?? Date.now, (id) => this.revokeNow(id));
    this.hub = new WatchHub({
      revision: () => this.rev,
      compactRevision: () => this.compactRev,
      read: (from, to, prefix) => this.readEvents(from, to, prefix),
    });
  }

  async get(key: string): Promise<KeyValue | undefined> {
    this.assertOpen();
    return this.tables.getKv(key);
  }

  async range(prefix: string): Promise<RangeResult> {
    this.assertOpen();
    return { kvs: this.tables.range(prefix), revision: this.rev };
  }

  async put(key: string, value: string, opts: PutOptions = {}): Promise<{ revision: number }> {
    requireKey(key);
    const lease = this.leaseFor(opts.lease);
    this.write((b) => b.put(key, value, lease));
    return { revision: this.rev };
  }

  async delete(key: string): Promise<{ revision: number; deleted: number }> {
    requireKey(key);
    const deleted = this.write((b) => b.delete(key));
    return { revision: this.rev, deleted };
  }

  async deletePrefix(prefix: string): Promise<{ revision: number; deleted: number }> {
    const deleted = this.write((b) => b.deletePrefix(prefix));
    return { revision: this.rev, deleted };
  }

  async txn(req: TxnRequest): Promise<TxnResult> {
    validateBranch(req.success);
    validateBranch(req.failure ?? []);
    this.assertOpen();
    if ([...req.success, ...(req.failure ?? [])].some((op) => op.type === 'put' && op.lease)) this.expireLeasesBeforeAttach();
    const { succeeded, gets } = this.write((b) => {
      const succeeded = req.compare.every((cmp) => compareHolds(cmp, b.get(cmp.key)));
      const gets: (KeyValue | undefined)[] = [];
      for (const op of succeeded ? req.success : (req.failure ?? [])) {
        if (op.type === 'put') b.put(op.key, op.value, op.lease ?? 0);
        else if (op.type === 'delete') b.delete(op.key);
        else if (op.type === 'deletePrefix') b.deletePrefix(op.prefix);
        else gets.push(b.get(op.key));
      }
      return { succeeded, gets };
    });
    return { succeeded, revision: this.rev, gets };
  }

  async watch(prefix: string, onEvents: OnEvents, opts?: WatchOptions): Promise<Watcher> {
    this.assertOpen();
    return this.hub.open(prefix, onEvents, opts);
  }

  async revision(): Promise<number> {
    this.assertOpen();
    return this.rev;
  }

  async grantLease(ttlSeconds: number): Promise<number> {
    this.assertOpen();
    return this.leases.grant(ttlSeconds);
  }

  async keepAlive(leaseId: number): Promise<number> {
    this.assertOpen();
    return this.leases.keepAlive(leaseId);
  }

  async revokeLease(leaseId: number): Promise<void> {
    this.assertOpen();
    if (!this.leases.exists(leaseId)) throw new LeaseNotFoundError(leaseId);
    this.revokeNow(leaseId);
  }

  async leaseTtl(leaseId: number): Promise<number> {
    this.assertOpen();
    return this.leases.ttl(leaseId);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.leases.stopTimer();
    this.hub.closeAll();
    this.db.close();
  }

  /** Apply fn's writes as one revision; publish and compact only after the commit. */
  private write<T>(fn: (batch: WriteBatch) => T): T {
    this.assertOpen();
    const batch = new WriteBatch(this.tables, this.rev + 1, (id) => this.leases.alive(id));
    const result = this.db.transaction(() => {
      const r = fn(batch);
      batch.commit();
      return r;
    })();
    if (batch.events.length > 0) {
      this.rev = batch.revision;
      this.hub.publish(batch.revision, batch.events);
      this.compactIfDue();
    }
    return result;
  }

  private leaseFor(leaseId: number | undefined): number {
    if (!leaseId) return 0;
    this.expireLeasesBeforeAttach();
    return leaseId;
  }

  // Before (never inside) a write that attaches keys to a lease: a lease past its
  // time then fails like any missing lease, and its expiry keeps its own revision.
  private expireLeasesBeforeAttach(): void {
    this.assertOpen();
    this.leases.expireDue();
  }

  private revokeNow(leaseId: number): void {
    this.write((b) => {
      for (const key of this.tables.keysOfLease(leaseId)) b.delete(key);
      this.tables.deleteLease(leaseId);
    });
  }

  private readEvents(from: number, to: number, prefix: string): EventBatch[] {
    const batches: EventBatch[] = [];
    for (const row of this.tables.events(from, to, prefix)) {
      const event = JSON.parse(row.event) as WatchEvent;
      const last = batches.at(-1);
      if (last?.revision === row.rev) last.events.push(event);
      else batches.push({ revision: row.rev, events: [event] });
    }
    return batches;
  }

  // Compact in steps of a tenth of the history, not on every write, and never past
  // a revision that a replaying watcher has yet to read.
  private compactIfDue(): void {
    const step = Math.max(1, Math.floor(this.historyRevisions / 10));
    if (this.rev - this.compactRev < this.historyRevisions + step) return;
    const pinned = this.hub.oldestPinned();
    const target = Math.min(this.rev - this.historyRevisions, pinned === undefined ? Infinity : pinned - 1);
    if (target <= this.compactRev) return;
    this.db.transaction(() => {
      this.tables.compactEvents(target);
      this.tables.setMeta('compactRevision', target);
    })();
    this.compactRev = target;
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreClosedError();
  }
}
