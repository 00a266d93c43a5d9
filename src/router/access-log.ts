// The access log: one JSON line per proxied request (pino), written at the request's end
// (request-ends.ts: when the response ends or is cut off). Off unless RouterOptions.accessLog is given. The same record feeds
// the per-site/endpoint Prometheus series (metrics.ts) when RouterOptions.metrics is on.
//   site, method, host, path, status, bytes (sent to the client on this request,
//   headers included), upstream (the endpoint of the last try), upstreamMs (last try's
//   dispatch → end of response), totalMs (request forwarded → end), retries,
//   budgetExhausted (a retry was refused by the site's retry budget).

import type { ClientReply, ClientRequest } from './front/client-exchange.ts';
import type { Logger } from '../lib/log.ts';
import { recordRequest } from './request-series.ts';

export class AccessRecord {
  readonly #start = performance.now();
  readonly #bytesBefore: number;
  readonly #socket: ClientReply['socket'];
  upstream: string | undefined;
  #dispatchedAt = 0;
  tries = 0;
  budgetExhausted = false;

  constructor(res: ClientReply) {
    this.#socket = res.socket; // res lets go of it at 'close'
    this.#bytesBefore = res.socket?.bytesWritten ?? 0;
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

  /** The per-site text line (site-access-files.ts): `GET host/path 200 512B 3.1ms -> endpoint`. */
  line(req: ClientRequest, res: ClientReply, complete: boolean): string {
    const status = res.headersSent ? res.statusCode : 0;
    const bytes = (this.#socket?.bytesWritten ?? this.#bytesBefore) - this.#bytesBefore;
    const retries = this.tries > 1 ? ` retries=${this.tries - 1}` : '';
    const cut = complete ? '' : ' incomplete';
    return `${req.method ?? '-'} ${req.headers.host ?? '-'}${req.url ?? ''} ${status} ${bytes}B ${round(performance.now() - this.#start)}ms -> ${this.upstream ?? '-'}${retries}${cut}`;
  }

  /** complete: the reply was written in full (replyComplete). */
  write(log: Logger, site: string, req: ClientRequest, res: ClientReply, complete: boolean): void {
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
    });
  }
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
