// The store part: the etcd-shaped Store interface, its errors and both implementations (SQLite, etcd).
// The conformance suite (conformance.ts) is imported by tests directly, not from here.

export type * from './types.ts';
export * from './errors.ts';
export { openSqliteStore, type SqliteStoreOptions } from './sqlite-store.ts';
export { openEtcdStore, type EtcdStoreOptions } from './etcd-store.ts';
