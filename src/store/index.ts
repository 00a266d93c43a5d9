// The store part: the etcd-shaped Store interface, its errors and its implementations (SQLite; etcd
// through the etcd3 gRPC client, or through etcd's JSON gateway).
// The conformance suite (conformance.ts) is imported by tests directly, not from here.

export type * from './types.ts';
export * from './errors.ts';
export { openSqliteStore, type SqliteStoreOptions } from './sqlite-store.ts';
export type { EtcdStoreOptions } from './etcd-store.ts';
export type { EtcdGatewayStoreOptions } from './etcd-gateway-store.ts';
import type { Store } from './types.ts';

/**
 * The etcd store (etcd-store.ts), loaded on the first call: the etcd client (grpc-js,
 * protobufjs and etcd's proto files, ≈ 20 MB of a process's memory) stays out of a process
 * that never opens one, such as `corral up` on its SQLite file.
 */
export async function openEtcdStore(...args: Parameters<typeof import('./etcd-store.ts').openEtcdStore>): Promise<Store> {
  const { openEtcdStore: open } = await import('./etcd-store.ts');
  return open(...args);
}

/**
 * The etcd store over etcd's JSON gateway (etcd-gateway-store.ts), loaded on the first call: node:http
 * only, no etcd client. A router node opens this one; controllers and engines keep the gRPC client.
 */
export async function openEtcdGatewayStore(...args: Parameters<typeof import('./etcd-gateway-store.ts').openEtcdGatewayStore>): Promise<Store> {
  const { openEtcdGatewayStore: open } = await import('./etcd-gateway-store.ts');
  return open(...args);
}
