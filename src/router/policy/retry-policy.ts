// When a failed upstream attempt may be tried again on another endpoint, and when the
// failure says the endpoint is unhealthy. The rule: retry only what cannot have had an
// effect twice — a request that never reached the endpoint (connect failed), or a
// bodiless idempotent request whose connection broke before any response byte, or whose
// try ran out of its site's per-try timeout (Route.retry.perTryTimeoutMs).

import type { IncomingHttpHeaders } from 'node:http';
import type { Route } from '../../model/index.ts';

/**
 * Where an attempt failed:
 * - `unsent`: the request never left the router (connect refused or timed out, pool closed);
 * - `broken`: the connection broke after the request may have been sent, or the router
 *   cut it because the endpoint is known gone (`endpointGoneError`);
 * - `timeout`: the endpoint took the request but sent no headers in time;
 * - `other`: anything else (a bug, a bad header, a destroyed pool).
 */
export type FailureKind = 'unsent' | 'broken' | 'timeout' | 'other';

const UNSENT = new Set(['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'UND_ERR_CLOSED']);
const BROKEN = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'UND_ERR_SOCKET', 'UND_ERR_INFO', 'ROUTER_ENDPOINT_GONE']);
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

export function failureKind(err: unknown): FailureKind {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return 'other';
  if (UNSENT.has(code)) return 'unsent';
  if (BROKEN.has(code)) return 'broken';
  if (code === 'UND_ERR_HEADERS_TIMEOUT') return 'timeout';
  return 'other';
}

/**
 * What a try in flight to an endpoint known dead (its VS status or its engine's
 * registration vanished; Router.abandonEndpoints) fails with: its upstream socket is
 * destroyed, and it is retried or answered like a broken connection.
 */
export function endpointGoneError(key: string): Error {
  return Object.assign(new Error(`endpoint ${key} is gone (its virtual server or engine left the farm)`), { code: 'ROUTER_ENDPOINT_GONE' });
}

/** A request that can be sent again as is: idempotent and without a body. */
export function isReplayable(method: string | undefined, headers: IncomingHttpHeaders): boolean {
  return IDEMPOTENT.has(method ?? '') && !hasBody(headers);
}

export function hasBody(headers: IncomingHttpHeaders): boolean {
  if (headers['transfer-encoding'] !== undefined) return true;
  const len = headers['content-length'];
  return len !== undefined && len !== '0';
}

/** What the retry decision needs to know about the request. */
export interface RequestReplay {
  /** Idempotent and without a body: may be sent twice. */
  replayable: boolean;
  /** Has no body. */
  bodyless: boolean;
  /** Has a body of which nothing has been read yet. */
  bodyUnread: boolean;
  /** The try waited for headers under the site's per-try timeout (only replayable requests get one). */
  perTryTimeout?: boolean;
  /** Tries of this request whose connection broke after the request was sent whole, this one included (brokeAfterSending). */
  brokenTries?: number;
}

/**
 * A replayable request whose connection broke after it was sent, twice, is not tried a third
 * time: once is a stale keep-alive connection or a backend that died under another request;
 * twice is most likely the request itself (a query of death) — retried on every endpoint, it
 * would crash or OOM every replica of the site, one after the other. Breaks in a row on one
 * endpoint count once (proxy-request.ts): a killed server's closing listener took the retry.
 */
export const MAX_BROKEN_TRIES = 2;

/** Did this try break after the request was sent whole (not cut by the router, nor before its body was read)? */
export function brokeAfterSending(err: unknown, bodyUnread: boolean): boolean {
  return failureKind(err) === 'broken' && (err as { code?: unknown }).code !== 'ROUTER_ENDPOINT_GONE' && !bodyUnread;
}

/**
 * May this failure be retried on another endpoint? A request that never left the
 * router always may, as long as its body can still be sent. undici writes a streamed
 * request's head together with its first body chunk, so a request whose body was not
 * read yet has not left the router either, whatever the connection did.
 */
export function mayRetry(kind: FailureKind, req: RequestReplay): boolean {
  if (kind === 'unsent') return req.replayable || req.bodyless || req.bodyUnread;
  if (kind === 'broken') return (req.replayable && (req.brokenTries ?? 0) < MAX_BROKEN_TRIES) || req.bodyUnread;
  if (kind === 'timeout') return req.replayable && req.perTryTimeout === true;
  return false;
}

/**
 * The most tries a request to route may take when a try failed this way: Route.retry.maxTries,
 * else the endpoint count (at least 2: a broken keep-alive connection gets a fresh one); a
 * timed-out try is only followed by one on an endpoint not tried yet, and on the router's
 * default per-try timeout (the site set none) by one only: it is there to move a request off
 * a stuck server, and a slow page that outlasts it on every server is asked twice, not once
 * per server (an outside tester's 5.9 s page on 3 servers took 16 s, each server doing it).
 */
export function maxTries(route: Route, kind: FailureKind): number {
  const n = route.endpoints.length;
  const max = route.retry?.maxTries ?? Math.max(2, n);
  if (kind !== 'timeout') return max;
  return Math.min(max, n, route.retry?.perTryTimeoutMs === undefined ? 2 : n);
}

/**
 * The response-headers timeout of one try: for a replayable request the site's
 * perTryTimeoutMs on every try; else the router's (`perTryTimeoutMs` option, 0 = none), but
 * only on a try that another could follow (`another`): the router's default is there to move
 * a request off a stuck endpoint, not to cap a slow page, so the last try waits the router's
 * headersTimeoutMs as any request does. Never beyond headersTimeoutMs; undefined (that
 * applies) for any other request, or when nothing sets one.
 */
export function perTryTimeoutMs(route: Route, replayable: boolean, another: boolean, config: { headersTimeoutMs: number; perTryTimeoutMs: number }): number | undefined {
  if (!replayable) return undefined;
  const t = route.retry?.perTryTimeoutMs ?? (another ? config.perTryTimeoutMs || undefined : undefined);
  if (t === undefined) return undefined;
  return config.headersTimeoutMs > 0 ? Math.min(t, config.headersTimeoutMs) : t;
}

/** Does this failure mark the endpoint as failed (passive health check)? */
export function ejects(kind: FailureKind): boolean {
  return kind === 'unsent' || kind === 'broken';
}
