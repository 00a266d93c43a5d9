// The raw front's request and reply (raw-server.ts): the two objects the request chain
// sees for a request that node:http never touched. They carry just what the chain reads
// and calls (ClientRequest / ClientReply in client-exchange.ts), which node's
// IncomingMessage and ServerResponse also provide, so router.ts, proxy-request.ts,
// error-response.ts, the access log and the site stats serve both alike.
//
// The reply writes HTTP/1.1 straight to the socket: the status line and headers as one
// latin1 string, the body as given (Content-Length framing kept) or chunked when the
// length is unknown, all corked until the end of the tick so a small response leaves in
// one writev.

import { STATUS_CODES, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';

/** Request headers whose duplicates node:http drops (it keeps the first); the raw front does the same. */
const SINGLE = new Set([
  'age', 'authorization', 'content-length', 'content-type', 'etag', 'expires', 'from', 'host', 'if-modified-since',
  'if-unmodified-since', 'last-modified', 'location', 'max-forwards', 'proxy-authorization', 'referer', 'retry-after',
  'server', 'user-agent',
]);

export class RawRequest {
  readonly headers: IncomingHttpHeaders;
  /** Bodiless by construction: nothing to read, nothing destroyed. */
  readonly readableDidRead = false;
  readonly destroyed = false;

  constructor(
    readonly method: string,
    /** The request target; an absolute-form one is made origin-form by the chain (request-target.ts). */
    public url: string,
    readonly httpVersionMajor: number,
    readonly httpVersionMinor: number,
    readonly rawHeaders: string[],
    readonly socket: Socket,
    /** The client wants the connection kept open after this request (llhttp's verdict). */
    readonly keepAlive: boolean,
  ) {
    this.headers = headerObject(rawHeaders);
  }

  /** No body to drop. */
  resume(): void {}
}

/** What a reply needs from its connection. */
export interface ReplyOwner {
  readonly socket: Socket;
  /** The router is closing: this reply is the connection's last, and says so (`connection: close`). */
  readonly closing: boolean;
  /** The reply has been written in full; closeAfter: the connection must close now. */
  replyDone(closeAfter: boolean): void;
}

type ReplyEvent = 'close' | 'finish' | 'drain';

/**
 * The reply's events are the three the chain listens for, each heard once ('close',
 * 'finish', 'drain'): listeners per event rather than an EventEmitter, whose set-up and
 * wrappers cost more than the rest of the reply on the hot path — and a lone listener (the
 * request's end on 'close', the usual case) is held as it is, without a list.
 */
export class RawReply {
  statusCode = 200;
  headersSent = false;
  writableFinished = false;
  readonly req: RawRequest;
  readonly #owner: ReplyOwner;
  readonly #socket: Socket;
  #chunked = false;
  #noBody = false;
  #closeAfter = false;
  #corked = false;
  #awaitingDrain = false;
  #done = false;
  #tickPending = false;
  /** 'finish' and 'close' were emitted. */
  #told = false;
  #close: Listeners;
  #finish: Listeners;
  #drain: Listeners;

  constructor(req: RawRequest, owner: ReplyOwner) {
    this.req = req;
    this.#owner = owner;
    this.#socket = owner.socket;
  }

  /** Hear event once (every event here happens at most once, but 'drain'). */
  once(event: ReplyEvent, listener: () => void): this {
    if (event === 'close') this.#close = added(this.#close, listener);
    else if (event === 'finish') this.#finish = added(this.#finish, listener);
    else this.#drain = added(this.#drain, listener);
    return this;
  }

  off(event: ReplyEvent, listener: () => void): this {
    if (event === 'close') this.#close = removed(this.#close, listener);
    else if (event === 'finish') this.#finish = removed(this.#finish, listener);
    else this.#drain = removed(this.#drain, listener);
    return this;
  }

  /** Call and forget the listeners of event. */
  emit(event: ReplyEvent): void {
    let list: Listeners;
    if (event === 'close') {
      list = this.#close;
      this.#close = undefined;
    } else if (event === 'finish') {
      list = this.#finish;
      this.#finish = undefined;
    } else {
      list = this.#drain;
      this.#drain = undefined;
    }
    if (typeof list === 'function') list();
    else if (list) for (const listener of list) listener();
  }

  get socket(): Socket {
    return this.#socket;
  }

  get destroyed(): boolean {
    return this.#socket.destroyed;
  }

  /** headers: a flat [name, value, …] list or an object; a `connection: close` among them closes the connection after this reply. */
  writeHead(status: number, headers?: OutgoingHttpHeaders | readonly string[]): this {
    if (this.headersSent) throw new Error('headers already sent');
    this.statusCode = status;
    this.headersSent = true;
    let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}\r\n`;
    let length = false;
    let date = false;
    // closing: the client must not send another request on this connection, which closes after this reply
    let close = !this.req.keepAlive || this.#owner.closing;
    const flat = headers === undefined ? [] : Array.isArray(headers) ? (headers as readonly string[]) : flatten(headers as OutgoingHttpHeaders);
    for (let i = 0; i < flat.length; i += 2) {
      const name = flat[i]!;
      const value = flat[i + 1]!;
      const n = name.length;
      if (n === 10 || n === 17 || n === 14 || n === 4) {
        const lower = name.toLowerCase();
        if (lower === 'connection') {
          if (value.toLowerCase() === 'close') close = true;
          continue; // this hop's Connection header is the router's own
        }
        if (lower === 'transfer-encoding') continue; // framing is the router's own too
        if (lower === 'content-length') length = true;
        else if (lower === 'date') date = true;
      }
      head += `${name}: ${value}\r\n`;
    }
    if (!date) head += `date: ${httpDate()}\r\n`;
    this.#noBody = this.req.method === 'HEAD' || status === 204 || status === 304 || status < 200;
    if (!this.#noBody && !length) {
      if (this.req.httpVersionMinor >= 1) {
        this.#chunked = true;
        head += 'transfer-encoding: chunked\r\n';
      } else close = true; // an HTTP/1.0 client reads to the end of the connection
    }
    if (close) head += 'connection: close\r\n';
    else if (this.req.httpVersionMinor === 0) head += 'connection: keep-alive\r\n';
    this.#closeAfter = close;
    this.#socket.cork();
    this.#corked = true;
    this.#later();
    this.#socket.write(`${head}\r\n`, 'latin1');
    return this;
  }

  write(chunk: Buffer | string): boolean {
    if (!this.headersSent) this.writeHead(this.statusCode);
    if (this.#noBody || this.#done || chunk.length === 0) return true;
    const s = this.#socket;
    let ok: boolean;
    if (this.#chunked) {
      const n = typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
      s.write(`${n.toString(16)}\r\n`, 'latin1');
      s.write(chunk);
      ok = s.write('\r\n', 'latin1');
    } else ok = s.write(chunk);
    if (!ok && !this.#awaitingDrain) {
      this.#awaitingDrain = true;
      s.once('drain', () => {
        this.#awaitingDrain = false;
        this.emit('drain');
      });
    }
    return ok;
  }

  end(chunk?: Buffer | string): this {
    if (this.#done) return this;
    if (!this.headersSent) {
      if (chunk !== undefined && this.statusCode >= 200) {
        // a whole body known at once: send its length rather than a chunk
        return this.writeHead(this.statusCode, ['content-length', String(Buffer.byteLength(chunk))]).end(chunk);
      }
      this.writeHead(this.statusCode);
    }
    if (chunk !== undefined) this.write(chunk);
    if (this.#chunked && !this.#noBody) this.#socket.write('0\r\n\r\n', 'latin1');
    this.#done = true;
    this.#uncork();
    this.writableFinished = true;
    this.#later(); // 'finish' and 'close' after the handler returns, as node:http does: listeners the chain adds meanwhile still hear them
    this.#owner.replyDone(this.#closeAfter);
    return this;
  }

  /** Send what is written so far (headers of a response whose body is still to come). */
  flushHeaders(): void {
    this.#uncork();
  }

  /** Cut the connection (a response that broke off midway). */
  destroy(err?: Error): this {
    this.#socket.destroy(err);
    return this;
  }

  /** The connection closed before the reply was done. */
  aborted(): void {
    if (this.#done) return;
    this.#done = true;
    process.nextTick(emitClose, this);
  }

  /** One tick per reply at most: uncork what writeHead corked, and tell of an end. */
  #later(): void {
    if (this.#tickPending) return;
    this.#tickPending = true;
    process.nextTick(afterTick, this);
  }

  /** The tick after writeHead or end. */
  afterTick(): void {
    this.#tickPending = false;
    this.#uncork();
    if (this.writableFinished && !this.#told) {
      this.#told = true;
      this.emit('finish');
      this.emit('close');
    }
  }

  #uncork(): void {
    if (!this.#corked) return;
    this.#corked = false;
    this.#socket.uncork();
  }
}

/** An event's listeners: none, one, or several in order. */
type Listeners = (() => void) | Array<() => void> | undefined;

function added(listeners: Listeners, listener: () => void): Listeners {
  if (listeners === undefined) return listener;
  if (typeof listeners === 'function') return [listeners, listener];
  listeners.push(listener);
  return listeners;
}

function removed(listeners: Listeners, listener: () => void): Listeners {
  if (listeners === listener) return undefined;
  if (Array.isArray(listeners)) {
    const i = listeners.indexOf(listener);
    if (i !== -1) listeners.splice(i, 1);
  }
  return listeners;
}

function emitClose(reply: RawReply): void {
  reply.emit('close');
}

function afterTick(reply: RawReply): void {
  reply.afterTick();
}

/** An object of headers as a flat [name, value, …] list (arrays: one pair per value). */
function flatten(headers: OutgoingHttpHeaders): string[] {
  const out: string[] = [];
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) out.push(name, String(v));
    else out.push(name, String(value));
  }
  return out;
}

/** Lower-cased names; duplicates joined as node:http joins them. */
function headerObject(raw: readonly string[]): IncomingHttpHeaders {
  const out: Record<string, string | string[]> = {};
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const value = raw[i + 1]!;
    const had = out[name];
    if (had === undefined) out[name] = name === 'set-cookie' ? [value] : value;
    else if (name === 'set-cookie') (had as string[]).push(value);
    else if (SINGLE.has(name)) continue;
    else out[name] = `${had as string}${name === 'cookie' ? '; ' : ', '}${value}`;
  }
  return out as IncomingHttpHeaders;
}

let dateSecond = 0;
let dateText = '';
/** The Date header's value, made once a second. */
function httpDate(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = new Date(now).toUTCString();
  }
  return dateText;
}
