// The router's failures: each has a stable code, the HTTP status the client gets and
// a message the client (or the site's owner) can act on. Every code is listed in
// README.md; errors.test.ts checks that.

import { CorralError } from '../lib/errors.ts';

export class RouterError extends CorralError {}

/** The Host header names no configured site. Never served by another site. */
export class UnknownHostError extends RouterError {
  constructor(host: string) {
    super('ROUTER_UNKNOWN_HOST', 404, `No site is configured for host ${host.slice(0, 255) || '(none)'}`);
  }
}

/** The site exists but has no endpoint to send the request to. */
export class NoEndpointError extends RouterError {
  /** Its servers are starting (a deploy, a farm restart): worth asking again soon. */
  readonly retryAfterSeconds = 1;
  constructor(site: string) {
    super('ROUTER_NO_ENDPOINT', 503, `no healthy endpoint for site ${site}`);
  }
}

/** Every endpoint tried failed before answering, or the answer broke off. */
export class UpstreamFailedError extends RouterError {
  constructor(site: string, options?: { cause?: unknown }) {
    super('ROUTER_UPSTREAM_FAILED', 502, `site ${site} did not answer; try again shortly`, options);
  }
}

/** The endpoint accepted the request but sent no response headers in time. */
export class UpstreamTimeoutError extends RouterError {
  constructor(site: string, options?: { cause?: unknown }) {
    super('ROUTER_UPSTREAM_TIMEOUT', 504, `site ${site} took too long to answer`, options);
  }
}

/** The request cannot be forwarded as sent (e.g. not an origin-form target). */
export class BadRequestError extends RouterError {
  constructor(why: string, options?: { cause?: unknown }) {
    super('ROUTER_BAD_REQUEST', 400, `bad request: ${why}`, options);
  }
}

/** A method the router serves for no site: CONNECT (the router is no forward proxy; RFC 9110 §15.6.2). */
export class MethodNotSupportedError extends RouterError {
  constructor(method: string) {
    super('ROUTER_METHOD_NOT_SUPPORTED', 501, `${method} is not supported: the router is not a forward proxy`);
  }
}

/** The request's header section is larger than the site allows. */
export class HeadersTooLargeError extends RouterError {
  constructor(limit: number) {
    super('ROUTER_HEADERS_TOO_LARGE', 431, `request headers larger than this site allows (${limit} bytes)`);
  }
}

/** The request has more header fields than the router takes (maxRequestHeaders). */
export class TooManyHeadersError extends RouterError {
  constructor(limit: number) {
    super('ROUTER_TOO_MANY_HEADERS', 431, `request has more than ${limit} header fields`);
  }
}

/** An Expect the router cannot meet: anything but 100-continue (RFC 9110 §10.1.1). */
export class ExpectationFailedError extends RouterError {
  constructor() {
    super('ROUTER_EXPECTATION_FAILED', 417, 'the only expectation the router meets is Expect: 100-continue');
  }
}

/** The request body is larger than the site allows. */
export class BodyTooLargeError extends RouterError {
  constructor(limit: number) {
    super('ROUTER_BODY_TOO_LARGE', 413, `request body larger than this site allows (${limit} bytes)`);
  }
}

/** The site's request rate limit is exhausted for now. */
export class RateLimitedError extends RouterError {
  readonly retryAfterSeconds: number;
  constructor(site: string, retryAfterSeconds: number) {
    super('ROUTER_RATE_LIMITED', 429, `too many requests for site ${site}; retry in ${retryAfterSeconds} s`);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** A site woken from zero (scale to zero) did not get a ready server within the router's wakeTimeoutMs. */
export class WakeTimeoutError extends RouterError {
  readonly retryAfterSeconds = 2;
  constructor(site: string, waitedMs: number) {
    super('ROUTER_WAKE_TIMEOUT', 503, `site ${site} is starting from idle and was not ready within ${Math.round(waitedMs / 100) / 10} s; try again shortly`);
  }
}

/** Too many requests already wait for an idle site to wake (the router's wakeQueue per site). */
export class WakeQueueFullError extends RouterError {
  readonly retryAfterSeconds = 1;
  constructor(site: string, queued: number) {
    super('ROUTER_WAKE_QUEUE_FULL', 503, `site ${site} is starting from idle and ${queued} requests already wait for it; try again shortly`);
  }
}

/** Every endpoint of the site has its most requests in flight (Route.endpointMaxInFlight), and the wait for one ran out or is full. */
export class SiteBusyError extends RouterError {
  readonly retryAfterSeconds = 1;
  constructor(site: string, why: string) {
    super('ROUTER_SITE_BUSY', 503, `site ${site} is busy: ${why}; try again shortly`);
  }
}

/** Every code above, for the documentation test. */
export const ROUTER_ERROR_CODES = [
  'ROUTER_UNKNOWN_HOST',
  'ROUTER_NO_ENDPOINT',
  'ROUTER_UPSTREAM_FAILED',
  'ROUTER_UPSTREAM_TIMEOUT',
  'ROUTER_BAD_REQUEST',
  'ROUTER_METHOD_NOT_SUPPORTED',
  'ROUTER_HEADERS_TOO_LARGE',
  'ROUTER_TOO_MANY_HEADERS',
  'ROUTER_EXPECTATION_FAILED',
  'ROUTER_BODY_TOO_LARGE',
  'ROUTER_RATE_LIMITED',
  'ROUTER_WAKE_TIMEOUT',
  'ROUTER_WAKE_QUEUE_FULL',
  'ROUTER_SITE_BUSY',
] as const;
