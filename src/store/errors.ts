// The store's failures. Every implementation (SQLite, etcd) throws these, so callers
// can branch on `code` whatever backs the store. Each code is listed in README.md.

import { CorralError } from '../lib/errors.ts';

export class StoreError extends CorralError {}

/** A put, txn or revoke named a lease that does not exist (never granted, revoked or expired). */
export class LeaseNotFoundError extends StoreError {
  readonly leaseId: number;
  constructor(leaseId: number) {
    super('STORE_LEASE_NOT_FOUND', 404, `lease ${leaseId} does not exist (never granted, revoked or expired); grant a new lease`);
    this.leaseId = leaseId;
  }
}

/** A watch asked for history the store no longer keeps. Resync: range, then watch from its revision + 1. */
export class CompactedError extends StoreError {
  readonly compactRevision: number;
  constructor(requested: number, compactRevision: number) {
    super(
      'STORE_COMPACTED',
      410,
      `revision ${requested} was compacted (history kept after revision ${compactRevision}); read the current state and watch from there`,
    );
    this.compactRevision = compactRevision;
  }
}

/** One transaction branch writes the same key twice, which etcd refuses too. */
export class DuplicateKeyError extends StoreError {
  constructor(key: string) {
    super('STORE_TXN_DUPLICATE_KEY', 400, `transaction writes key ${JSON.stringify(key)} more than once; write each key once per branch`);
  }
}

/** A malformed argument: empty key, bad TTL, bad revision. */
export class InvalidArgumentError extends StoreError {
  constructor(message: string) {
    super('STORE_INVALID_ARGUMENT', 400, message);
  }
}

/** The store was used after close(). */
export class StoreClosedError extends StoreError {
  constructor() {
    super('STORE_CLOSED', 503, 'the store is closed; open it again');
  }
}

/** Another process (or another open in this one) holds the SQLite file. */
export class StoreInUseError extends StoreError {
  constructor(path: string, options?: { cause?: unknown }) {
    super('STORE_IN_USE', 503, `store file ${path} is in use by another store; close it or stop the other process first`, options);
  }
}

/** The backing service (etcd) could not be reached in time. */
export class StoreUnavailableError extends StoreError {
  constructor(detail: string, options?: { cause?: unknown }) {
    super('STORE_UNAVAILABLE', 503, `the store could not be reached (${detail}); check that etcd is up and reachable`, options);
  }
}

/** etcd's JSON gateway answered something etcd does not send: not JSON, or JSON of the wrong shape. */
export class StoreBadResponseError extends StoreError {
  constructor(detail: string) {
    super('STORE_BAD_RESPONSE', 502, `etcd's answer could not be read (${detail}); check that the store endpoints are etcd (3.4 or later) client URLs`);
  }
}

/** The file was written by a newer Corral, or is not a Corral store. */
export class StoreSchemaError extends StoreError {
  constructor(path: string, found: number, supported: number) {
    super('STORE_SCHEMA', 500, `store file ${path} has schema version ${found}, this Corral supports ${supported}; upgrade Corral`);
  }
}
