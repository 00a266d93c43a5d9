// Per-site limits (Route.limits), checked when a request is admitted: header bytes (431),
// a declared body length (413), the request rate (429). A chunked body longer than the
// limit is cut while it streams (limitBody) and answered with 413 if nothing was sent yet.

import type { IncomingMessage } from 'node:http';
import type { ClientRequest } from '../front/client-exchange.ts';
import { Transform, type TransformCallback } from 'node:stream';
import type { Route } from '../../model/index.ts';
import { BodyTooLargeError, HeadersTooLargeError, RateLimitedError, type RouterError } from '../errors.ts';

export class SiteLimiter {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  check(route: Route, req: ClientRequest): RouterError | undefined {
    const l = route.limits;
    if (l === undefined) return undefined;
    if (l.maxHeaderBytes !== undefined && headerBytes(req) > l.maxHeaderBytes) return new HeadersTooLargeError(l.maxHeaderBytes);
    if (l.maxBodyBytes !== undefined) {
      const len = Number(req.headers['content-length'] ?? 0);
      if (len > l.maxBodyBytes) return new BodyTooLargeError(l.maxBodyBytes);
    }
    if (l.requestsPerSecond !== undefined) return this.#take(route.site, l.requestsPerSecond, l.burst ?? l.requestsPerSecond);
    return undefined;
  }

  retain(sites: ReadonlySet<string>): void {
    for (const site of this.#buckets.keys()) if (!sites.has(site)) this.#buckets.delete(site);
  }

  #take(site: string, rate: number, burst: number): RouterError | undefined {
    const now = this.#now();
    let b = this.#buckets.get(site);
    if (b === undefined) this.#buckets.set(site, (b = { tokens: burst, at: now }));
    b.tokens = Math.min(burst, b.tokens + ((now - b.at) / 1000) * rate);
    b.at = now;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return undefined;
    }
    return new RateLimitedError(site, Math.max(1, Math.ceil((1 - b.tokens) / rate)));
  }
}

/** The request body, cut with BodyTooLargeError once it passes max bytes. */
export function limitBody(req: IncomingMessage, max: number): Transform {
  let seen = 0;
  const t = new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      seen += chunk.length;
      if (seen > max) return done(new BodyTooLargeError(max));
      done(null, chunk);
    },
  });
  req.on('error', (err) => t.destroy(err));
  return req.pipe(t);
}

function headerBytes(req: ClientRequest): number {
  let n = 0;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) n += raw[i]!.length + raw[i + 1]!.length + 4;
  return n;
}
