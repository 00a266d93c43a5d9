// One upstream attempt's dispatch handler: streams the upstream response into the
// client response with backpressure (pause upstream reads while the client is slow).
// Failures go to onFail, which knows whether any response byte reached the client.

import type { IncomingHttpHeaders } from 'node:http';
import type { ClientReply } from '../front/client-exchange.ts';
import type { Dispatcher } from 'undici';
import { clientResponseHeaders } from './forward-headers.ts';
import { relayHead } from './relay-head.ts';
import type { SendStalls } from '../front/send-stalls.ts';
import type { Exchange, UpstreamRequest } from './upstream.ts';

export class ResponseRelay implements Dispatcher.DispatchHandler, Exchange {
  readonly #res: ClientReply;
  readonly #onFail: UpstreamRequest;
  readonly #stalls: SendStalls;
  readonly #extra: readonly string[] | undefined;
  #controller: Dispatcher.DispatchController | undefined;
  #abortReason: Error | undefined;
  #started = false;
  #wrote = false;
  #draining = false;

  /** extra: [name, value, …] added to the response (a balancer's Set-Cookie). */
  constructor(r: UpstreamRequest, extra?: readonly string[]) {
    this.#res = r.res;
    this.#extra = extra;
    this.#onFail = r;
    this.#stalls = r.stalls;
  }

  /** Abort the upstream request, now or as soon as it is connected. */
  abort(reason: Error): void {
    this.#abortReason = reason;
    this.#controller?.abort(reason);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#abortReason) controller.abort(this.#abortReason);
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    if (statusCode < 200) return; // informational (103 …): not relayed
    const out = clientResponseHeaders(headers, this.#res.req.httpVersionMajor === 2);
    const extra = this.#extra;
    for (let i = 0; extra && i < extra.length; i += 2) {
      const name = extra[i]!;
      const had = out[name];
      out[name] = had === undefined ? extra[i + 1] : [...(Array.isArray(had) ? had : [String(had)]), extra[i + 1]!];
    }
    const refused = relayHead(this.#res, statusCode, out);
    if (refused) {
      this.#started = refused.cut;
      controller.abort(refused.err); // onResponseError: the try fails
      return;
    }
    this.#started = true;
    queueMicrotask(this.#flushIfIdle);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.#wrote = true;
    if (this.#res.write(chunk) || this.#draining) return;
    this.#draining = true;
    controller.pause();
    this.#stalls.waiting(this.#res);
    this.#res.once('drain', this.#resume);
  }

  onResponseEnd(): void {
    this.#wrote = true;
    if (this.#draining) this.#stalls.drained(this.#res);
    this.#res.end();
  }

  onResponseError(_c: Dispatcher.DispatchController | undefined, err: Error): void {
    this.#res.off('drain', this.#resume);
    if (this.#draining) this.#stalls.drained(this.#res);
    this.#onFail.tryFailed(err, this.#started);
  }

  /** Headers with no body in the same read (an event stream, a slow page): send them now. */
  readonly #flushIfIdle = (): void => {
    if (!this.#wrote && !this.#res.destroyed) this.#res.flushHeaders();
  };

  readonly #resume = (): void => {
    this.#draining = false;
    this.#stalls.drained(this.#res);
    this.#controller?.resume();
  };
}
