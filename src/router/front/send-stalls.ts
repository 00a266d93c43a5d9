// A client that stops reading its reply (nginx's send_timeout). A relay whose write to the
// client was refused (backpressure: the client's window or socket buffer is full) pauses
// the upstream and waits for 'drain'; without a deadline a client that never reads again
// would hold that request, its upstream connection and a file descriptor for as long as
// it likes. Here a reply still waiting for 'drain' after clientSendTimeoutMs is destroyed:
// on HTTP/1.x its connection, on HTTP/2 its stream alone. The request's end follows as for
// a client that left (request-ends.ts): the try is aborted, the access line says
// complete: false.
//
// One sweep for every waiting reply rather than a timer per wait: a large download waits
// for 'drain' once per chunk. The map keeps insertion order, and a reply is taken out
// on each drain and put back at the next wait, so the sweep stops at the first reply
// not yet overdue. It runs only while some reply waits.

/** What a stall needs of a reply (a ClientReply, or node:http2's own response). */
interface Reply {
  readonly destroyed: boolean;
  destroy(err?: Error): unknown;
}

export class SendStallError extends Error {
  readonly code = 'ROUTER_CLIENT_SEND_TIMEOUT';
  constructor(ms: number) {
    super(`the client took none of its reply for ${ms} ms`);
  }
}

export class SendStalls {
  readonly #timeoutMs: number;
  readonly #waiting = new Map<Reply, number>();
  #sweep: NodeJS.Timeout | undefined;

  /** timeoutMs: 0 turns the deadline off. */
  constructor(timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
  }

  /** res refused a write: it is waiting for 'drain' from now. */
  waiting(res: Reply): void {
    if (this.#timeoutMs === 0) return;
    this.#waiting.delete(res); // to the end of the order
    this.#waiting.set(res, Date.now());
    this.#sweep ??= setInterval(() => this.#check(Date.now()), Math.max(50, this.#timeoutMs / 4)).unref();
  }

  /** res drained, or its relay ended: it waits no more. */
  drained(res: Reply): void {
    this.#waiting.delete(res);
  }

  #check(now: number): void {
    for (const [res, since] of this.#waiting) {
      if (now - since <= this.#timeoutMs) break;
      this.#waiting.delete(res);
      if (!res.destroyed) res.destroy(new SendStallError(this.#timeoutMs));
    }
    if (this.#waiting.size === 0) {
      clearInterval(this.#sweep);
      this.#sweep = undefined;
    }
  }
}
