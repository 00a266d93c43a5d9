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

/**
 * The roles that serve an API of their own to the farm's controllers (node-api.ts): an
 * engine (its VSs' output and exec, engine-api.ts) and a router node (its per-site access
 * lines, router-api.ts). Each has its own codes, so an answer says whose API it is.
 */
const API_CODES = {
  engine: {
    unauthorized: 'CLUSTER_ENGINE_API_UNAUTHORIZED', forbidden: 'CLUSTER_ENGINE_API_FORBIDDEN', badRequest: 'CLUSTER_ENGINE_API_BAD_REQUEST',
    notFound: 'CLUSTER_ENGINE_API_NOT_FOUND', failed: 'CLUSTER_ENGINE_API_FAILED', unreachable: 'CLUSTER_ENGINE_UNREACHABLE', refused: 'CLUSTER_ENGINE_REFUSED',
  },
  router: {
    unauthorized: 'CLUSTER_ROUTER_API_UNAUTHORIZED', forbidden: 'CLUSTER_ROUTER_API_FORBIDDEN', badRequest: 'CLUSTER_ROUTER_API_BAD_REQUEST',
    notFound: 'CLUSTER_ROUTER_API_NOT_FOUND', failed: 'CLUSTER_ROUTER_API_FAILED', unreachable: 'CLUSTER_ROUTER_UNREACHABLE', refused: 'CLUSTER_ROUTER_REFUSED',
  },
} as const;

export type ApiRole = keyof typeof API_CODES;

/** A call to a role's API without a token, or with one that is no token of this farm. */
export function apiUnauthorized(role: ApiRole, detail: string): ClusterError {
  return new ClusterError(API_CODES[role].unauthorized, 401, `${detail}: the ${role} API answers the farm's controllers only (Authorization: Bearer <the farm's admin token>)`);
}

/** A call to a role's API with a token of this farm that is not the controllers' (a customer's, an engine's). */
export function apiForbidden(role: ApiRole): ClusterError {
  return new ClusterError(API_CODES[role].forbidden, 403, `this token may not call the ${role} API: it answers the farm's controllers only (the farm's admin token)`);
}

export function apiBadRequest(role: ApiRole, detail: string): ClusterError {
  return new ClusterError(API_CODES[role].badRequest, 400, detail);
}

/** No such route; `routes` lists the API's own. */
export function apiNotFound(role: ApiRole, method: string, path: string, routes: string): ClusterError {
  return new ClusterError(API_CODES[role].notFound, 404, `no route ${method} ${path} on the ${role} API (${routes})`);
}

/** What a role's API answers for a failure that is no CorralError (its log has it). */
export function apiFailed(role: ApiRole): ClusterError {
  return new ClusterError(API_CODES[role].failed, 500, `the ${role} could not answer (see its log)`);
}

/** A role's API cannot be reached from this controller (down, not registered, or not answering in time). */
export function nodeUnreachable(role: ApiRole, id: string, detail: string): ClusterError {
  return new ClusterError(API_CODES[role].unreachable, 503, `${role} ${id} could not be reached (${detail})`);
}

/** A role API's error answer as a ClusterError: its own code and message, or (401, 403) a refusal of this controller. */
export function nodeRefusal(role: ApiRole, id: string, status: number, json: unknown): ClusterError {
  const error = (json as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  const message = typeof error?.message === 'string' ? error.message : `HTTP ${status}`;
  if (status === 401 || status === 403) return new ClusterError(API_CODES[role].refused, 502, `${role} ${id} refused this controller: ${message}`);
  const code = typeof error?.code === 'string' ? error.code : API_CODES[role].failed;
  return new ClusterError(code, status >= 400 && status < 600 ? status : 502, `${role} ${id}: ${message}`);
}
