// The cluster roles' failures. Codes are documented in README.md.

import { CorralError } from '../lib/errors.ts';

export class ClusterError extends CorralError {}

export function blobUnavailable(sha256: string, detail: string): ClusterError {
  return new ClusterError('CLUSTER_BLOB_UNAVAILABLE', 503, `release blob ${sha256.slice(0, 12)}… could not be fetched from any controller (${detail})`);
}

export function blobCorrupt(sha256: string, got: string, from: string): ClusterError {
  return new ClusterError('CLUSTER_BLOB_CORRUPT', 502, `release blob from ${from} has sha256 ${got.slice(0, 12)}…, expected ${sha256.slice(0, 12)}…; refused`);
}

export function badStoreUrl(url: string): ClusterError {
  return new ClusterError('CLUSTER_BAD_STORE_URL', 400, `--store must look like etcd://host:port[,host:port…], got "${url}"`);
}

export function dbMemberUnavailable(detail: string): ClusterError {
  return new ClusterError('CLUSTER_DB_MEMBER_UNAVAILABLE', 503, `this engine cannot run a database member: ${detail}`);
}

export function dbNoForwarder(engine: string): ClusterError {
  return new ClusterError('CLUSTER_DB_NO_FORWARDER', 503, `engine ${engine} forwards no database connections (start it with --db or --db-forward-port)`);
}

export function dbBadTiming(detail: string): ClusterError {
  return new ClusterError('CLUSTER_DB_BAD_TIMING', 400, `Patroni timing: ${detail}`);
}

export function dbKeyMismatch(file: string, detail: string): ClusterError {
  return new ClusterError('CLUSTER_DB_KEY_MISMATCH', 409, `${file} ${detail}: every controller of the farm must hold the same database key; start this one with --database-key-file <a copy of the first controller's <dir>/database-key>`);
}
