// One request on the raw fast path, as seen from the client's side: relays the upstream
// response (status, headers without hop-by-hop ones, body with backpressure) into the
// client's reply. Used for bodiless requests; see proxy-request.ts.

import type { ClientReply } from '../front/client-exchange.ts';
import { clientResponseRawHeaders } from './forward-headers.ts';
import { relayHead } from './relay-head.ts';
import type { ExchangeSink, RawConnection } from './raw-connection.ts';
import type { SendStalls } from '../front/send-stalls.ts';
import type { Exchange, UpstreamRequest } from './upstream.ts';

export class RawExchange implements ExchangeSink, Exchange {
  conn: RawConnection | undefined;
  readonly #res: ClientReply;
  readonly #skipBody: boolean;
  readonly #onFail: UpstreamRequest;
  readonly #stalls: SendStalls;
  readonly #extra: readonly string[] | undefined;
  #started = false;
  #wrote = false;
  #draining = false;
  #resume: (() => void) | undefined;

  /** extra: [name, value, …] added to the response (a balancer's Set-Cookie). */
  constructor(r: UpstreamRequest, skipBody: boolean, extra?: readonly string[]) {
    this.#res = r.res;
    this.#extra = extra;
    this.#skipBody = skipBody;
    this.#onFail = r;
    this.#stalls = r.stalls;
  }

  /** The client left: drop the upstream connection (it is mid-response, not reusable). */
  abort(): void {
    this.conn?.destroy();
  }

  onHeaders(statusCode: number, rawHeaders: string[]): boolean {
    const headers = clientResponseRawHeaders(rawHeaders, this.#res.req.httpVersionMajor === 2);
    if (this.#extra) headers.push(...this.#extra);
    const refused = relayHead(this.#res, statusCode, headers);
    if (refused) {
      this.#started = refused.cut;
      this.conn?.abort(refused.err); // the try fails (onError), its connection is dropped mid-response
      return true;
    }
    this.#started = true;
    return this.#skipBody;
  }

  onBody(chunk: Buffer): void {
    this.#wrote = true;
    if (this.#res.write(chunk) || this.#draining) return;
    this.#draining = true;
    this.conn?.pause();
    this.#stalls.waiting(this.#res);
    this.#res.once('drain', (this.#resume ??= this.#resumed.bind(this))); // bound only when needed: the hot path allocates no closure
  }

  onComplete(): void {
    this.#wrote = true;
    if (this.#draining) this.#stalls.drained(this.#res);
    this.conn = undefined; // parked for another exchange now: neither a late 'drain' nor the client leaving may touch it
    this.#res.end();
  }

  onError(err: Error): void {
    if (this.#resume) this.#res.off('drain', this.#resume);
    if (this.#draining) this.#stalls.drained(this.#res);
    this.#onFail.tryFailed(err, this.#started);
  }

  onReadDone(): void {
    // headers with no body yet (an event stream, a slow page): send them now
    if (!this.#started || this.#wrote || this.#res.destroyed) return;
    this.#wrote = true;
    this.#res.flushHeaders();
  }

  #resumed(): void {
    this.#draining = false;
    this.#stalls.drained(this.#res);
    this.conn?.resume();
  }
}
