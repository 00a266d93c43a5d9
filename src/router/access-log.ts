// The access log: one JSON line per answered request (pino), whoever answered it, written
// at the request's end (request-ends.ts: when the response ends or is cut off). Off unless
// RouterOptions.accessLog is given. The same record gives the per-site text line
// (site-access-files.ts) and, for a forwarded request, the per-site/endpoint Prometheus
// series (request-series.ts) when RouterOptions.metrics is on.
//   site (absent: no site has the Host), method, host, path, status (0: cut off before
//   its head), bytes (sent to the client on this request, headers included; on HTTP/2 the
//   body's bytes, client-exchange.ts replyBytes), upstream
//   (the endpoint of the last try), upstreamMs (last try's dispatch → end of response),
//   totalMs (request forwarded, or answered by the router, → end), retries,
//   budgetExhausted (a retry was refused by the site's retry budget), complete;
//   only when the router answered (absent when the endpoint did): answeredBy "router"
//   and code (a RouterError code, errors.ts, or one of ROUTER_ANSWER_CODES; absent when
//   the client left a held request); only for a request held for an endpoint (an idle
//   site's wake, a starting site's first server): heldMs (held → forwarded or answered).

import { replyBytes, type ClientReply, type ClientRequest } from './front/client-exchange.ts';
import type { Logger } from '../lib/log.ts';
import { recordRequest } from './request-series.ts';

/** The router's own answers that are not errors: the HTTP→HTTPS redirect, the maintenance page, an ACME HTTP-01 answer. */
export const ROUTER_ANSWER_CODES = ['ROUTER_HTTPS_REDIRECT', 'ROUTER_MAINTENANCE', 'ROUTER_ACME_CHALLENGE'] as const;
/** What the router answered with (the record's `code`): a RouterError's code (errors.ts) or one of ROUTER_ANSWER_CODES. */
export type AnswerCode = string;

export class AccessRecord {
  readonly #start = performance.now();
  readonly #bytesBefore: number;
  readonly #socket: { readonly bytesWritten: number } | null;
  upstream: string | undefined;
  #dispatchedAt = 0;
  tries = 0;
  budgetExhausted = false;
  /** Handed to the forwarding (request-ends.ts), even if no endpoint was tried. */
  forwarded = false;
  /** The router answered it itself, with this. */
  code: AnswerCode | undefined;
  heldMs: number | undefined;

  constructor(res: ClientReply) {
    this.#socket = replyBytes(res); // kept: res lets go of its socket at 'close'
    this.#bytesBefore = this.#socket?.bytesWritten ?? 0;
  }

  dispatched(upstream: string): void {
    this.upstream = upstream;
    this.#dispatchedAt = performance.now();
    this.tries++;
  }

  /** The Prometheus series of metrics.ts. */
  record(site: string, res: ClientReply, complete: boolean): void {
    const upstreamS = this.#dispatchedAt ? (performance.now() - this.#dispatchedAt) / 1000 : undefined;
    recordRequest(site, this.upstream, res.statusCode, complete, upstreamS, this.tries);
  }

  /** The router, not an endpoint, answered (or the client left it while held). */
  get byRouter(): boolean {
    return this.code !== undefined || !this.forwarded;
  }

  /**
   * The per-site text line (site-access-files.ts): `GET host/path 200 512B 3.1ms -> endpoint`;
   * answered by the router: `GET host/path 429 190B 0.2ms -> router ROUTER_RATE_LIMITED`.
   */
  line(req: ClientRequest, res: ClientReply, complete: boolean): string {
    const status = res.headersSent ? res.statusCode : 0;
    const bytes = (this.#socket?.bytesWritten ?? this.#bytesBefore) - this.#bytesBefore;
    const by = this.upstream ?? (this.byRouter ? 'router' : '-');
    const code = this.code === undefined ? '' : ` ${this.code}`;
    const retries = this.tries > 1 ? ` retries=${this.tries - 1}` : '';
    const held = this.heldMs === undefined ? '' : ` held=${round(this.heldMs)}ms`;
    const cut = complete ? '' : ' incomplete';
    return `${req.method ?? '-'} ${req.headers.host ?? '-'}${req.url ?? ''} ${status} ${bytes}B ${round(performance.now() - this.#start)}ms -> ${by}${code}${retries}${held}${cut}`;
  }

  /** complete: the reply was written in full (replyComplete). */
  write(log: Logger, site: string | undefined, req: ClientRequest, res: ClientReply, complete: boolean): void {
    const end = performance.now();
    log.info({
      event: 'access',
      site,
      method: req.method,
      host: req.headers.host,
      path: req.url,
      status: res.headersSent ? res.statusCode : 0,
      bytes: (this.#socket?.bytesWritten ?? this.#bytesBefore) - this.#bytesBefore,
      upstream: this.upstream,
      upstreamMs: this.#dispatchedAt ? round(end - this.#dispatchedAt) : undefined,
      totalMs: round(end - this.#start),
      retries: Math.max(0, this.tries - 1),
      budgetExhausted: this.budgetExhausted,
      complete,
      answeredBy: this.byRouter ? 'router' : undefined,
      code: this.code,
      heldMs: this.heldMs === undefined ? undefined : round(this.heldMs),
    });
  }
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
