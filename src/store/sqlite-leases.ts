// Leases of the SQLite store. A lease's expiry is a wall-clock time kept in the
// file, so a lease outlives a restart of the process for the rest of its TTL, and
// one that ran out while the store was closed is expired when it reopens.
// An in-process timer expires leases; every lease call also expires overdue ones
// first, so a lease past its time is gone whether or not the timer has run yet.

import { InvalidArgumentError } from './errors.ts';
import { logger } from '../lib/log.ts';
import type { SqliteTables } from './sqlite-tables.ts';

const log = logger('store');

export class SqliteLeases {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly tables: SqliteTables,
    private readonly now: () => number,
    /** Delete the lease and its keys (as one revision). */
    private readonly revoke: (leaseId: number) => void,
  ) {}

  grant(ttlSeconds: number): number {
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1) {
      throw new InvalidArgumentError(`a lease TTL is a whole number of seconds >= 1, got ${ttlSeconds}`);
    }
    return this.tables.insertLease(ttlSeconds, this.now() + ttlSeconds * 1000);
  }

  /** Renew; the remaining TTL in seconds, or -1 if the lease is gone. */
  keepAlive(leaseId: number): number {
    this.expireDue();
    const lease = this.tables.getLease(leaseId);
    if (!lease) return -1;
    this.tables.touchLease(leaseId, this.now() + lease.ttl * 1000);
    return lease.ttl;
  }

  /** Remaining TTL in whole seconds, rounded up so a live lease never reports 0; -1 if gone. */
  ttl(leaseId: number): number {
    this.expireDue();
    const lease = this.tables.getLease(leaseId);
    return lease ? Math.ceil((lease.expires_at - this.now()) / 1000) : -1;
  }

  exists(leaseId: number): boolean {
    this.expireDue();
    return this.tables.getLease(leaseId) !== undefined;
  }

  /** Whether a key may be attached to the lease now (no expiry: that would write inside a write). */
  alive(leaseId: number): boolean {
    const lease = this.tables.getLease(leaseId);
    return lease !== undefined && lease.expires_at > this.now();
  }

  /** Revoke every lease whose time has come, oldest first, one revision each. */
  expireDue(): void {
    for (const id of this.tables.dueLeases(this.now())) this.revoke(id);
  }

  startTimer(intervalMs: number): void {
    this.timer = setInterval(() => {
      try {
        this.expireDue();
      } catch (err) {
        log.error({ err }, 'lease expiry failed');
      }
    }, intervalMs);
    // The store must not keep a process alive on its own; its owner closes it.
    this.timer.unref();
  }

  stopTimer(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
