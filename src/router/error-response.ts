// Failures → HTTP responses, in one place. Every error response carries an id that
// also appears in its log line, so a user's report can be matched to the log.

import { randomUUID } from 'node:crypto';
import type { ClientReply } from './front/client-exchange.ts';
import type { Duplex } from 'node:stream';
import { STATUS_CODES } from 'node:http';
import type { Logger } from '../lib/log.ts';
import type { Route } from '../model/index.ts';
import { BadRequestError, NoEndpointError, RateLimitedError, RouterError, UpstreamFailedError, UpstreamTimeoutError } from './errors.ts';
import { failureKind } from './policy/retry-policy.ts';
import { customErrorPage } from './policy/site-pages.ts';
import type { RequestEnd } from './request-ends.ts';

/** The one mapping from any failure while serving a site to the error the client gets. */
export function toRouterError(err: unknown, site: string): RouterError {
  if (err instanceof RouterError) return err;
  if (failureKind(err) === 'timeout') return new UpstreamTimeoutError(site, { cause: err });
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'UND_ERR_INVALID_ARG' || code === 'UND_ERR_NOT_SUPPORTED') {
    return new BadRequestError('the request cannot be forwarded as sent', { cause: err });
  }
  return new UpstreamFailedError(site, { cause: err });
}

/** The request an error answers, as the chain knows it. */
export interface ErrorContext {
  log: Logger;
  method?: string | undefined;
  url?: string | undefined;
  host?: string | undefined;
  /** The route the Host matched (its error pages answer), when one did. */
  route?: Route | undefined;
  /** The request's end (request-ends.ts), whose access record names the code answered. */
  end?: RequestEnd | undefined;
}

/**
 * Answer the client with err; if the response has already started, cut it off.
 * A refused request (4xx) also closes the connection: after a request the router would
 * not forward, the framing of whatever follows on that connection is not trusted.
 * Every error answer says nosniff: its body (plain text, or the site's page) may echo
 * what the client sent (the Host), and must never be read as anything but its type.
 */
export function sendError(res: ClientReply, err: RouterError, ctx: ErrorContext): void {
  const id = logError(err, ctx);
  ctx.end?.answered(err.code);
  if (res.headersSent) {
    res.destroy(err);
    return;
  }
  if (res.destroyed) return;
  const page = customErrorPage(ctx.route, err.status, id); // the site's own page, if it has one
  const body = page ?? errorBody(err, id);
  const close = err.status < 500 && res.req.httpVersionMajor !== 2; // HTTP/2 forbids the header
  if (close) res.closesConnection = true;
  res.writeHead(err.status, {
    'content-type': page === undefined ? 'text/plain; charset=utf-8' : 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'x-corral-error-id': id,
    'x-content-type-options': 'nosniff',
    ...(close ? { connection: 'close' } : {}),
    ...(err instanceof RateLimitedError || err instanceof NoEndpointError || 'retryAfterSeconds' in err ? { 'retry-after': String((err as { retryAfterSeconds: number }).retryAfterSeconds) } : {}),
  });
  res.end(body);
}

/** Answer on a raw socket (an upgrade request that could not be forwarded), then close it. */
export function sendRawError(socket: Duplex, err: RouterError, ctx: ErrorContext): void {
  const id = logError(err, ctx);
  if (socket.destroyed) return;
  const body = errorBody(err, id);
  socket.end(
    `HTTP/1.1 ${err.status} ${STATUS_CODES[err.status] ?? ''}\r\n` +
      'content-type: text/plain; charset=utf-8\r\n' +
      `content-length: ${Buffer.byteLength(body)}\r\n` +
      `x-corral-error-id: ${id}\r\n` +
      'x-content-type-options: nosniff\r\n' +
      'connection: close\r\n\r\n' +
      body,
  );
}

function errorBody(err: RouterError, id: string): string {
  return `${err.message}\nerror id: ${id}\n`;
}

function logError(err: RouterError, ctx: ErrorContext): string {
  const id = randomUUID().slice(0, 8);
  const cause = err.cause instanceof Error ? { message: err.cause.message, code: (err.cause as { code?: unknown }).code } : undefined;
  const fields = { errId: id, code: err.code, status: err.status, host: ctx.host, method: ctx.method, url: ctx.url, cause };
  if (err.status >= 500) ctx.log.warn({ event: 'request.failed', ...fields }, 'request failed');
  else ctx.log.info({ event: 'request.rejected', ...fields }, 'request rejected');
  return id;
}
