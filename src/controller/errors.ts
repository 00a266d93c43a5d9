// The controller's failures: one subclass per failure, each with a stable code (documented
// in ERRORS.md), an HTTP status and a message a user can act on. http-errors.ts turns any
// thrown value into one of these.

import { CorralError } from '../lib/errors.ts';
import { bytesText } from '../lib/byte-text.ts';

export class ControllerError extends CorralError {}

/** 403: a customer's own token asking more servers than the farm gives one customer. */
export class QuotaExceededError extends ControllerError {
  constructor(customer: string, asked: number, max: number) {
    super('quota_exceeded', 403, `customer ${customer} would have ${asked} virtual servers of its own, more than the ${max} this farm gives a customer (each site's replicas, an autoscaled site's max-replicas; pooled static sites none): lower some, or ask the farm's operator`);
  }
}

/** 403: a customer's own token asking its databases more connections in all than the farm gives one customer. */
export class ConnectionQuotaError extends ControllerError {
  constructor(customer: string, asked: number, max: number) {
    super('quota_exceeded', 403, `customer ${customer}'s databases would allow ${asked} connections in all, more than the ${max} this farm gives a customer (the sum of their connectionLimit): lower some, or ask the farm's operator`);
  }
}

/** 400: the request does not match the API's schema or rules. */
export class ValidationError extends ControllerError {
  constructor(message: string) {
    super('invalid_request', 400, message);
  }
}

/** 400: the body is not valid JSON. */
export class InvalidJsonError extends ControllerError {
  constructor(message: string) {
    super('invalid_json', 400, `the request body is not valid JSON: ${message}`);
  }
}

/** 400: a malformed request that fastify refused before our code ran. */
export class BadRequestError extends ControllerError {
  constructor(message: string) {
    super('bad_request', 400, message);
  }
}

export class UnauthorizedError extends ControllerError {
  constructor(message = 'missing or invalid token: send "Authorization: Bearer crl_…"') {
    super('unauthorized', 401, message);
  }
}

export class ForbiddenError extends ControllerError {
  constructor(message = 'this token is not allowed to do that') {
    super('forbidden', 403, message);
  }
}

/** 404: also what a customer gets for another customer's resources. */
export class NotFoundError extends ControllerError {
  constructor(what: string) {
    super('not_found', 404, `${what} not found`);
  }
}

/** 405: the path exists, not with this method; the Allow header lists those it has. */
export class MethodNotAllowedError extends ControllerError {
  constructor(method: string, path: string, allowed: readonly string[] = []) {
    super('method_not_allowed', 405, `${method} is not allowed on ${path}; use ${allowed.join(', ') || 'another method'}`);
  }
}

/** 409: a drill fault aimed at something that is not in the state it needs (the leader is someone else). */
export class DrillTargetError extends ControllerError {
  constructor(message: string) {
    super('drill_target', 409, message);
  }
}

export class AlreadyExistsError extends ControllerError {
  constructor(what: string) {
    super('already_exists', 409, `${what} already exists`);
  }
}

/**
 * 409: the domain, or one it covers or is covered by, is claimed by another site. The same
 * answer whoever holds it (this customer or another), and the other claim is never named.
 */
export class DomainTakenError extends ControllerError {
  constructor(domain: string) {
    super('domain_taken', 409, `domain ${domain} is not available: it, or a name it overlaps, is claimed by another site`);
  }
}

/** 400: a domain no site may claim (localhost, an IP address, a public suffix, …) or one the farm reserved. */
export class DomainReservedError extends ControllerError {
  constructor(domain: string, reason: string) {
    super('domain_reserved', 400, `domain ${domain} cannot be claimed: ${reason}`);
  }
}

/** 409: the site name is taken; the same answer whoever holds it, so it tells nothing about other customers. */
export class NameUnavailableError extends ControllerError {
  constructor(name: string) {
    super('name_unavailable', 409, `site name ${name} is not available; choose another`);
  }
}

/** 400: an uploaded TLS certificate or key that cannot be used for the site. */
export class CertificateInvalidError extends ControllerError {
  constructor(message: string) {
    super('certificate_invalid', 400, message);
  }
}

export class NoPreviousReleaseError extends ControllerError {
  constructor(site: string) {
    super('no_previous_release', 409, `site ${site} has no previous release to roll back to`);
  }
}

/** DELETE /v1/customers/:id without cascade while the customer still has sites. */
export class CustomerHasSitesError extends ControllerError {
  /** `sites`: what it has, e.g. "2 site(s) (blog, shop)". */
  constructor(customer: string, sites: string) {
    super('customer_has_sites', 409, `customer ${customer} still has ${sites}: delete them first, or pass cascade=true to delete them with the customer`);
  }
}

/** 409: a fixed replica count asked of a site that autoscales. */
export class SiteAutoscaledError extends ControllerError {
  constructor(site: string, min: number, max: number) {
    super('site_autoscaled', 409, `site ${site} autoscales between ${min} and ${max} replicas: change --min-replicas/--max-replicas, or turn autoscaling off (autoscale: {}, corral site set --autoscale off) to set a fixed count`);
  }
}

/** 409: the record kept changing under us; the client may simply retry. */
export class ConcurrentUpdateError extends ControllerError {
  constructor(what: string) {
    super('concurrent_update', 409, `${what} was changed concurrently; retry the request`);
  }
}

/** 408: the request did not arrive in time: its head (before any route ran), or an upload's body stalled. */
export class RequestTimeoutError extends ControllerError {
  constructor(message = 'the request took too long to arrive') {
    super('request_timeout', 408, message);
  }
}

/** 429: the caller already has as many uploads in progress as the controller takes from one customer. */
export class UploadsBusyError extends ControllerError {
  constructor(limit: number) {
    super('uploads_busy', 429, `${limit} uploads of yours are already in progress; wait for one to finish`);
  }
}

/** 431: the request line and headers are larger than the controller accepts (before any route ran). */
export class HeadersTooLargeError extends ControllerError {
  constructor() {
    super('headers_too_large', 431, 'the request line and headers are too large; send fewer or shorter headers');
  }
}

export class PayloadTooLargeError extends ControllerError {
  constructor(limitBytes?: number) {
    super('payload_too_large', 413, limitBytes === undefined ? 'the request body is too large' : `the request body exceeds the limit of ${limitBytes} bytes`);
  }
}

/**
 * 413 payload_too_large for a release tarball over the farm's limit: what the limit is and
 * which flag of the operator's sets it (a customer asks the operator; the same code as any
 * body too large, so clients that test it keep working).
 */
export class ReleaseTooLargeError extends ControllerError {
  constructor(limitBytes: number) {
    super('payload_too_large', 413, `the release tarball is larger than this farm's limit of ${bytesText(limitBytes)} (${limitBytes} bytes); the operator sets it with --max-release-size (corral up, corral controller)`);
  }
}

/** 414: a path segment longer than the router accepts (100 characters; no name is that long). */
export class UriTooLongError extends ControllerError {
  constructor() {
    super('uri_too_long', 414, 'a segment of the URL path is too long (at most 100 characters)');
  }
}

export class UnsupportedMediaTypeError extends ControllerError {
  constructor(message: string) {
    super('unsupported_media_type', 415, message);
  }
}

export class NotImplementedError extends ControllerError {
  constructor(message: string) {
    super('not_implemented', 501, message);
  }
}

export class InternalError extends ControllerError {
  constructor(requestId: string, cause?: unknown) {
    super('internal', 500, `internal error; the controller log has the details under id ${requestId}`, { cause });
  }
}

/** Cluster mode: the uploaded blob could not be stored on a second controller, so the upload is not acknowledged. */
export class BlobReplicationError extends ControllerError {
  constructor(detail: string) {
    super('blob_replication_failed', 503, `the release could not be stored on a second controller (${detail}); retry the upload`);
  }
}

/** 503: this controller lost leadership while reconciling; the new leader carries on. */
export class NotLeaderError extends ControllerError {
  constructor() {
    super('not_leader', 503, 'this controller is no longer the leader; its reconcile writes were refused (fenced)');
  }
}

/** 503: a blob the store's records name is on no controller reachable now; the backup is not taken. */
export class BackupBlobMissingError extends ControllerError {
  constructor(sha256: string, where: string) {
    super('backup_blob_missing', 503, `the farm backup needs blob ${sha256} (${where}), which this controller does not have and could not fetch; retry, or back up through another controller`);
  }
}

/** 400: a farm backup archive that is not one, or whose parts do not match its manifest. */
export class BackupInvalidError extends ControllerError {
  constructor(message: string) {
    super('backup_invalid', 400, message);
  }
}

/** 409: `corral restore` into a folder that already holds something. */
export class RestoreTargetNotEmptyError extends ControllerError {
  constructor(dir: string, what = 'is not empty') {
    super('restore_target_not_empty', 409, `${dir} ${what}: restore into a new or empty folder`);
  }
}

/** 501: this farm runs without a database service (PostgreSQL not installed). */
export class DatabasesUnavailableError extends ControllerError {
  constructor() {
    super('databases_unavailable', 501, 'this farm has no database service: install PostgreSQL 15 on the controller host (`apt-get install postgresql`) and restart `corral up`');
  }
}

/** 409: a farm on etcd keeps its databases on engines started with `--db`, and none runs. */
export class NoDatabaseEngineError extends ControllerError {
  constructor() {
    super('no_database_engine', 409, 'no engine of the farm runs PostgreSQL: start one (two, for a standby) with `corral engine --db`, then create the database');
  }
}

/** 409: the database name is taken; the same answer whoever holds it. */
export class DatabaseNameUnavailableError extends ControllerError {
  constructor(name: string) {
    super('name_unavailable', 409, `database name ${name} is not available; choose another`);
  }
}

/** 409: a site of the customer still uses the database. */
export class DatabaseInUseError extends ControllerError {
  /** `sites`: the names, e.g. "blog, shop". */
  constructor(name: string, sites: string) {
    super('database_in_use', 409, `database ${name} is used by site(s) ${sites}: unbind them first (corral site set <site> --db default)`);
  }
}

/** 502: PostgreSQL refused or failed an operation (pg_dump, pg_restore, SQL); the log has the details under the request id. */
export class DatabaseOperationError extends ControllerError {
  constructor(what: string, detail: string) {
    super('database_failed', 502, `${what} failed: ${detail}`);
  }
}
