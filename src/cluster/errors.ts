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

/** A call to an engine's API without a token, or with one that is no token of this farm. */
export function engineApiUnauthorized(detail: string): ClusterError {
  return new ClusterError('CLUSTER_ENGINE_API_UNAUTHORIZED', 401, `${detail}: the engine API answers the farm's controllers only (Authorization: Bearer <the farm's admin token>)`);
}

/** A call to an engine's API with a token of this farm that is not the controllers' (a customer's, an engine's). */
export function engineApiForbidden(): ClusterError {
  return new ClusterError('CLUSTER_ENGINE_API_FORBIDDEN', 403, "this token may not call the engine API: it answers the farm's controllers only (the farm's admin token)");
}

export function engineApiBadRequest(detail: string): ClusterError {
  return new ClusterError('CLUSTER_ENGINE_API_BAD_REQUEST', 400, detail);
}

export function engineApiNotFound(method: string, path: string): ClusterError {
  return new ClusterError('CLUSTER_ENGINE_API_NOT_FOUND', 404, `no route ${method} ${path} on the engine API (GET /v1/logs, GET /v1/vs/<vs>/logs, POST /v1/vs/<vs>/exec)`);
}

/** The engine of a VS cannot be reached from this controller (down, not registered, or not answering in time). */
export function engineUnreachable(engine: string, detail: string): ClusterError {
  return new ClusterError('CLUSTER_ENGINE_UNREACHABLE', 503, `engine ${engine} could not be reached (${detail})`);
}

/** An engine API's error answer as a ClusterError: its own code and message, or (401, 403) a refusal of this controller. */
export function engineRefusal(engine: string, status: number, json: unknown): ClusterError {
  const error = (json as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  const message = typeof error?.message === 'string' ? error.message : `HTTP ${status}`;
  if (status === 401 || status === 403) return new ClusterError('CLUSTER_ENGINE_REFUSED', 502, `engine ${engine} refused this controller: ${message}`);
  const code = typeof error?.code === 'string' ? error.code : 'CLUSTER_ENGINE_API_FAILED';
  return new ClusterError(code, status >= 400 && status < 600 ? status : 502, `engine ${engine}: ${message}`);
}
