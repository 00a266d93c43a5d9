// The writes of one revision. Every mutation of the SQLite store goes through a
// batch inside one SQLite transaction: the batch assigns the revision's
// bookkeeping, records a watch event per change, and commit() logs the events and
// bumps the revision only if something changed (etcd does not count no-op writes).

import { InvalidArgumentError, LeaseNotFoundError } from './errors.ts';
import type { SqliteTables } from './sqlite-tables.ts';
import type { KeyValue, WatchEvent } from './types.ts';

export class WriteBatch {
  readonly events: WatchEvent[] = [];

  constructor(
    private readonly tables: SqliteTables,
    /** The revision these writes will have, if there are any. */
    readonly revision: number,
    private readonly leaseAlive: (leaseId: number) => boolean,
  ) {}

  /** The key as this batch sees it: earlier writes of the batch included. */
  get(key: string): KeyValue | undefined {
    return this.tables.getKv(key);
  }

  put(key: string, value: string, lease = 0): void {
    if (typeof value !== 'string') throw new InvalidArgumentError(`the value of ${JSON.stringify(key)} must be a string`);
    if (lease !== 0 && !this.leaseAlive(lease)) throw new LeaseNotFoundError(lease);
    const prevKv = this.get(key);
    const kv: KeyValue = {
      key,
      value,
      createRevision: prevKv?.createRevision ?? this.revision,
      modRevision: this.revision,
      version: (prevKv?.version ?? 0) + 1,
      lease,
    };
    this.tables.upsertKv(kv);
    this.record(prevKv ? { type: 'put', kv, prevKv } : { type: 'put', kv });
  }

  /** Delete one key; returns how many keys were deleted (0 or 1). */
  delete(key: string): number {
    const prevKv = this.get(key);
    if (!prevKv) return 0;
    this.tables.deleteKv(key);
    // etcd's shape for a deletion: only the key and the deleting revision are set.
    const kv: KeyValue = { key, value: '', createRevision: 0, modRevision: this.revision, version: 0, lease: 0 };
    this.record({ type: 'delete', kv, prevKv });
    return 1;
  }

  deletePrefix(prefix: string): number {
    let deleted = 0;
    for (const kv of this.tables.range(prefix)) deleted += this.delete(kv.key);
    return deleted;
  }

  // Frozen: live watchers of one revision share these objects, so none may change them for the others.
  private record(event: WatchEvent): void {
    Object.freeze(event.kv);
    if (event.prevKv) Object.freeze(event.prevKv);
    this.events.push(Object.freeze(event));
  }

  /** Log the events and advance the stored revision; a batch without changes leaves both alone. */
  commit(): void {
    if (this.events.length === 0) return;
    this.events.forEach((event, seq) => this.tables.insertEvent(this.revision, seq, event.kv.key, JSON.stringify(event)));
    this.tables.setMeta('revision', this.revision);
  }
}
