// Every SQL statement of the SQLite store, prepared once, behind typed methods.
// Nothing here knows about revisions or events; sqlite-store.ts gives them meaning.

import type { Db } from './schema.ts';
import type { KeyValue } from './types.ts';
import { prefixEnd } from './prefix.ts';

interface KvRow {
  key: string;
  value: string;
  create_rev: number;
  mod_rev: number;
  version: number;
  lease: number;
}

export interface LeaseRow {
  id: number;
  ttl: number;
  expires_at: number;
}

export interface EventRow {
  rev: number;
  event: string;
}

export class SqliteTables {
  private readonly s: ReturnType<typeof prepareAll>;

  constructor(db: Db) {
    this.s = prepareAll(db);
  }

  getKv(key: string): KeyValue | undefined {
    const row = this.s.getKv.get(key) as KvRow | undefined;
    return row && toKeyValue(row);
  }

  range(prefix: string): KeyValue[] {
    const end = prefixEnd(prefix);
    const rows = (end === undefined ? this.s.rangeAll.all() : this.s.range.all(prefix, end)) as KvRow[];
    return rows.map(toKeyValue);
  }

  upsertKv(kv: KeyValue): void {
    this.s.upsertKv.run(kv);
  }

  deleteKv(key: string): void {
    this.s.deleteKv.run(key);
  }

  keysOfLease(leaseId: number): string[] {
    return (this.s.keysOfLease.all(leaseId) as { key: string }[]).map((r) => r.key);
  }

  getMeta(name: 'revision' | 'compactRevision'): number {
    return (this.s.getMeta.get(name) as { value: number }).value;
  }

  setMeta(name: 'revision' | 'compactRevision', value: number): void {
    this.s.setMeta.run(value, name);
  }

  insertEvent(rev: number, seq: number, key: string, event: string): void {
    this.s.insertEvent.run(rev, seq, key, event);
  }

  /** Events with fromRev <= rev <= toRev for keys under prefix, in revision order. */
  events(fromRev: number, toRev: number, prefix: string): EventRow[] {
    const end = prefixEnd(prefix);
    const rows = end === undefined ? this.s.eventsAll.all(fromRev, toRev) : this.s.events.all(fromRev, toRev, prefix, end);
    return rows as EventRow[];
  }

  compactEvents(throughRev: number): void {
    this.s.compactEvents.run(throughRev);
  }

  insertLease(ttl: number, expiresAt: number): number {
    return Number(this.s.insertLease.run(ttl, expiresAt).lastInsertRowid);
  }

  getLease(id: number): LeaseRow | undefined {
    return this.s.getLease.get(id) as LeaseRow | undefined;
  }

  touchLease(id: number, expiresAt: number): boolean {
    return this.s.touchLease.run(expiresAt, id).changes > 0;
  }

  deleteLease(id: number): boolean {
    return this.s.deleteLease.run(id).changes > 0;
  }

  dueLeases(now: number): number[] {
    return (this.s.dueLeases.all(now) as { id: number }[]).map((r) => r.id);
  }
}

function toKeyValue(row: KvRow): KeyValue {
  return {
    key: row.key,
    value: row.value,
    createRevision: row.create_rev,
    modRevision: row.mod_rev,
    version: row.version,
    lease: row.lease,
  };
}

function prepareAll(db: Db) {
  const p = (sql: string) => db.prepare(sql);
  return {
    getKv: p('SELECT * FROM kv WHERE key = ?'),
    rangeAll: p('SELECT * FROM kv ORDER BY key'),
    range: p('SELECT * FROM kv WHERE key >= ? AND key < ? ORDER BY key'),
    upsertKv: p(`INSERT INTO kv (key, value, create_rev, mod_rev, version, lease)
                 VALUES (@key, @value, @createRevision, @modRevision, @version, @lease)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value, mod_rev = excluded.mod_rev,
                   version = excluded.version, lease = excluded.lease`),
    deleteKv: p('DELETE FROM kv WHERE key = ?'),
    keysOfLease: p('SELECT key FROM kv WHERE lease = ? ORDER BY key'),
    getMeta: p('SELECT value FROM meta WHERE name = ?'),
    setMeta: p('UPDATE meta SET value = ? WHERE name = ?'),
    insertEvent: p('INSERT INTO events (rev, seq, key, event) VALUES (?, ?, ?, ?)'),
    eventsAll: p('SELECT rev, event FROM events WHERE rev BETWEEN ? AND ? ORDER BY rev, seq'),
    events: p('SELECT rev, event FROM events WHERE rev BETWEEN ? AND ? AND key >= ? AND key < ? ORDER BY rev, seq'),
    compactEvents: p('DELETE FROM events WHERE rev <= ?'),
    insertLease: p('INSERT INTO leases (ttl, expires_at) VALUES (?, ?)'),
    getLease: p('SELECT * FROM leases WHERE id = ?'),
    touchLease: p('UPDATE leases SET expires_at = ? WHERE id = ?'),
    deleteLease: p('DELETE FROM leases WHERE id = ?'),
    dueLeases: p('SELECT id FROM leases WHERE expires_at <= ? ORDER BY expires_at, id'),
  };
}
