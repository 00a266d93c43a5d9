// One keep-alive HTTP/1.1 connection to an endpoint on the raw fast path: a net.Socket
// and a native response parser. It carries one exchange at a time; between exchanges
// it waits in its endpoint's idle list (raw-upstreams.ts) until the keep-alive timeout.
//
// Timeouts: connect, then response headers, then body silence, then keep-alive idle —
// each failure carries the same codes undici uses, so retry-policy and error-response
// treat both paths alike. They are checked by their pool's sweep (raw-upstreams.ts)
// against a coarse clock, not by socket timers: a socket timeout re-arms a timer on every
// read and write, the largest timer cost on the hot path. A per-try timeout (on for every
// replayable request by default) is the headers phase's limit for that exchange, checked
// by the same sweep: no timer per request.

import { connect, type Socket } from 'node:net';
import type { Route } from '../../model/index.ts';
import { consumeReads, responseParser, type ConsumedReads, type ResponseParser } from '../raw-parser.ts';
import type { Liveness } from './liveness.ts';

/** What the connection reports to the exchange using it. */
export interface ExchangeSink {
  /** Return true to skip the body (HEAD). Informational (1xx) responses are not passed on. */
  onHeaders(statusCode: number, rawHeaders: string[]): boolean;
  onBody(chunk: Buffer): void;
  onComplete(): void;
  onError(err: Error): void;
  /** One read from the upstream has been parsed (headers with no body yet can be flushed). */
  onReadDone(): void;
}

/** A clock the pool's sweep moves forward; a connection reads it on every read instead of asking the system. */
export interface CoarseClock {
  now: number;
}

export interface ConnectionTimeouts {
  connectTimeoutMs: number;
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
  keepAliveMs: number;
}

type Phase = 'connecting' | 'headers' | 'body' | 'idle';

export class RawConnection {
  readonly socket: Socket;
  /** The endpoint's key (its socket address), for abandoning every connection to it. */
  readonly key: string;
  readonly #parser: ResponseParser;
  readonly #timeouts: ConnectionTimeouts;
  readonly #onIdle: (c: RawConnection) => void;
  readonly #onGone: (c: RawConnection) => void;
  #sink: ExchangeSink | undefined;
  /** This exchange's response-headers timeout (a per-try timeout), else the connection's. */
  #headersTimeoutMs: number | undefined;
  /** The per-try timeout gives way while this route's endpoint shows signs of life (the router's default, not a site's own): liveness.ts. */
  #lenient: Route | undefined;
  /** The endpoints' signs of life (shared by the pool's connections). */
  readonly #liveness: Liveness;
  readonly #host: string;
  readonly #port: number;
  #phase: Phase = 'connecting';
  /** When the phase began, or (body) the last read. */
  #since: number;
  readonly #clock: CoarseClock;
  /** Reads straight into the parser once connected (undefined: through 'data' events). */
  #reads: ConsumedReads | undefined;
  #connected = false;
  #keepAlive = true;
  #gone = false;

  constructor(key: string, host: string, port: number, timeouts: ConnectionTimeouts, clock: CoarseClock, liveness: Liveness, onIdle: (c: RawConnection) => void, onGone: (c: RawConnection) => void) {
    this.key = key;
    this.#host = host;
    this.#port = port;
    this.#liveness = liveness;
    this.#timeouts = timeouts;
    this.#clock = clock;
    this.#since = Date.now();
    this.#onIdle = onIdle;
    this.#onGone = onGone;
    this.#parser = responseParser({
      onHeaders: (status, raw, keepAlive) => this.#headers(status, raw, keepAlive),
      onBody: (chunk) => this.#sink?.onBody(chunk),
      onComplete: () => this.#complete(),
    });
    const socket = connect({ host, port, noDelay: true });
    this.socket = socket;
    socket.once('connect', () => {
      this.#connected = true;
      this.#reads = consumeReads(this.#parser, socket, (ret) => this.#executed(ret)); // before the first read
      if (this.#phase === 'connecting') this.#setPhase(this.#sink ? 'headers' : 'idle');
    });
    // consumed, 'data' never fires, but the listener keeps the stream flowing so that 'end' is emitted
    socket.on('data', (chunk: Buffer) => {
      if (!this.#gone) this.#executed(this.#parser.execute(chunk));
    });
    socket.on('end', () => {
      if (this.#gone) return;
      const ret = this.#parser.finish(); // a body read until close ends here
      if (ret instanceof Error) return this.#fail(Object.assign(new Error('upstream closed mid-response'), { code: 'UND_ERR_SOCKET' }));
      this.#fail(Object.assign(new Error('upstream closed the connection'), { code: 'UND_ERR_SOCKET' }));
    });
    socket.on('error', (err) => this.#fail(err));
    socket.on('close', () => this.#fail(Object.assign(new Error('upstream connection closed'), { code: 'UND_ERR_SOCKET' })));
  }

  /**
   * Send one request head (no body) and report the response to sink; headersTimeoutMs
   * overrides the connection's for this exchange, and when `lenient` (the request's route) it
   * does so only while the endpoint shows no sign of life (liveness.ts): an endpoint that
   * answered another request since this one was sent, or answers a probe of its health path,
   * is alive, and this request is a slow page, not one stuck on a hung server.
   */
  send(head: string, sink: ExchangeSink, headersTimeoutMs?: number, lenient?: Route): void {
    this.#sink = sink;
    this.#headersTimeoutMs = headersTimeoutMs;
    this.#lenient = lenient;
    this.#keepAlive = true;
    if (this.#connected) this.#setPhase('headers');
    this.socket.write(head, 'latin1');
  }

  /** Stop reading the response for now (the client is slow), and go on. */
  pause(): void {
    if (this.#reads) this.#reads.pause();
    else this.socket.pause();
  }

  resume(): void {
    if (this.#reads) this.#reads.resume();
    else this.socket.resume();
  }

  /** One read parsed. */
  #executed(ret: number | Error): void {
    if (this.#clock.now > this.#since) this.#since = this.#clock.now; // body silence counts from the last read (never backwards)
    if (ret instanceof Error) this.#fail(Object.assign(new Error(`bad response from upstream: ${ret.message}`), { code: 'UND_ERR_SOCKET' }));
    else this.#sink?.onReadDone();
  }

  /** Fail the exchange in progress with err (its endpoint is gone) and drop the connection. */
  abort(err: Error): void {
    if (!this.#gone) this.#fail(err);
  }

  /**
   * Drop the connection (the client left, or the pool is closing). The native parser holds a
   * strong handle to itself, and through its callbacks to this connection, until it is
   * closed: unclosed, every connection ever dropped stayed in the heap. It is closed on the
   * next turn, as node:http does, since a drop can come from inside its own callback.
   */
  destroy(): void {
    if (this.#gone) return; // once: its pool forgets it once, its parser is closed once
    this.#sink = undefined;
    this.#gone = true;
    this.#reads?.release();
    this.socket.destroy();
    setImmediate(closeParser, this.#parser);
    this.#onGone(this);
  }

  get busy(): boolean {
    return this.#sink !== undefined;
  }

  #headers(status: number, raw: string[], keepAlive: boolean): boolean {
    this.#keepAlive = keepAlive;
    if (status < 200) return false; // informational: the real response follows
    if (this.#sink === undefined) {
      this.#keepAlive = false; // a response nobody asked for: this connection is not trusted again
      return true;
    }
    this.#setPhase('body');
    this.#liveness.answered(this.key, this.#since);
    return this.#sink?.onHeaders(status, raw) ?? false;
  }

  #complete(): void {
    if (this.#phase !== 'body') {
      if (this.#sink === undefined && !this.#keepAlive) this.destroy();
      return; // end of an informational response
    }
    const sink = this.#sink;
    this.#sink = undefined;
    if (this.#keepAlive && !this.#gone) {
      this.#setPhase('idle');
      // a response that ended in the read whose body its slow client refused left the reads
      // paused: parked so, the next exchange on it was never read (an HTTP/2 client's
      // concurrent downloads hung); the exchange's late 'drain' no longer reaches it
      this.resume();
      this.#onIdle(this);
    } else this.destroy();
    sink?.onComplete();
  }

  /** The sweep: has the current phase run out of time? */
  check(now: number): void {
    if (this.#gone) return;
    const t = this.#timeouts;
    const limit =
      this.#phase === 'idle' ? t.keepAliveMs : this.#phase === 'headers' ? (this.#headersTimeoutMs ?? t.headersTimeoutMs) : this.#phase === 'body' ? t.bodyTimeoutMs : t.connectTimeoutMs;
    if (!(limit > 0 && now - this.#since > limit)) return;
    if (this.#phase === 'headers' && this.#lenient !== undefined && this.#headersTimeoutMs !== undefined) {
      const verdict = this.#liveness.verdict(this.key, this.#host, this.#port, this.#lenient, this.#since, now);
      if (verdict === 'asking') return; // the next sweep looks again
      if (verdict === 'alive') {
        this.#headersTimeoutMs = undefined; // alive: wait as any request does (headersTimeoutMs from the send)
        return this.check(now);
      }
    }
    this.#timeout();
  }

  #timeout(): void {
    if (this.#phase === 'idle') return this.destroy();
    const code = { connecting: 'UND_ERR_CONNECT_TIMEOUT', headers: 'UND_ERR_HEADERS_TIMEOUT', body: 'UND_ERR_BODY_TIMEOUT' }[this.#phase];
    this.#fail(Object.assign(new Error(`upstream ${this.#phase} timeout`), { code }));
  }

  #fail(err: Error): void {
    const sink = this.#sink;
    if (!this.#gone) this.destroy();
    sink?.onError(err);
  }

  #setPhase(phase: Phase): void {
    this.#phase = phase;
    this.#since = Date.now(); // exact: a phase must never end early
  }
}

function closeParser(parser: ResponseParser): void {
  parser.close();
}
