// The raw front (a Front, front.ts): the router's own HTTP/1.1 server path for the common
// request — no body, no upgrade — in front of node:http. It takes over the http.Server's
// 'connection' event, parses each request with node's llhttp in strict mode
// (raw-parser.ts, the same parser and settings node:http uses), and hands the request
// chain a RawRequest and RawReply (raw-message.ts), which router.ts serves exactly as it
// serves node:http's own request objects. The same
// front reads the HTTPS listener's HTTP/1.1 connections once their handshake is done
// (installTlsRawFront): a TLSSocket is read like a plain socket.
//
// A request the raw front does not take (a body, Expect, an upgrade, CONNECT) hands the
// whole connection to node:http: once every earlier reply is written, the request's head
// (re-serialised from what llhttp parsed) and whatever followed it are put back in front
// of the socket's stream, and node:http's own connection listener takes the socket: from
// there node's front (node-front.ts) hands the chain its requests.
//
// What node:http would do, the raw front does alike: a parse error → 400 (431 for an
// oversized head) and close; HTTP/1.1 without Host → 400; pipelined requests answered in
// order, one at a time (reading pauses while a reply is owed); the head must arrive within
// clientHeadersTimeoutMs (slowloris → 408 and close); an idle keep-alive connection
// closes after clientKeepAliveMs; a client's half-close abandons what it asked and ends
// the connection. What node's front refuses beyond node:http (node-front.ts), it refuses
// too: HTTP/1.0 with Transfer-Encoding → 400 and close, before any hand-off.

import type { EventEmitter } from 'node:events';
import type { Server } from 'node:http';
import type { Http2SecureServer } from 'node:http2';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { RouterConfig } from '../options.ts';
import type { Front, RequestChain } from './front.ts';
import { installNodeFront } from './node-front.ts';
import { consumeReads, requestParser, takeNodeListener, type ConsumedReads, type NodeConnectionListener, type RequestParser } from '../raw-parser.ts';
import { RawReply, RawRequest, type ReplyOwner } from './raw-message.ts';
import { hasBody } from '../policy/retry-policy.ts';
import { refusedAtFront } from './request-hygiene.ts';

/** The raw front on a plain HTTP server: every connection is HTTP/1.x. */
/** The raw front, and whether its timeout sweep is running (only while it has connections). */
export interface RawFront extends Front {
  readonly sweeping: boolean;
}

export function installRawFront(server: Server, chain: RequestChain, config: RouterConfig): RawFront {
  return install(server, chain, 'connection', takeNodeListener(server, 'connection'), config, () => true);
}

/**
 * The raw front on the HTTPS listener (node:http2's secure server with allowHTTP1): a
 * connection whose handshake chose HTTP/1.1 by ALPN (or no ALPN at all) is read by the
 * raw front from its TLSSocket, decrypted, exactly as a plain one; HTTP/2 ("h2"), or any
 * other protocol the handshake agreed, goes to node:http2's own listener untouched, and what the raw front hands off goes to node:http's HTTP/1.1
 * side of the same server (its 'request' and 'upgrade' events).
 */
export function installTlsRawFront(server: Http2SecureServer, chain: RequestChain, config: RouterConfig): RawFront {
  const node = takeNodeListener(server, 'secureConnection');
  return install(server, chain, 'secureConnection', node, config, (socket) => {
    const alpn = (socket as TLSSocket).alpnProtocol;
    if (alpn === false || alpn === 'http/1.1') return true; // what node would give its HTTP/1.1 side
    node.give(socket); // h2, or any other protocol agreed (node decides)
    return false;
  });
}

/** takes: does the raw front read this connection (else the function gave it to node itself)? */
function install(server: Server | Http2SecureServer, chain: RequestChain, event: 'connection' | 'secureConnection', nodeListener: NodeConnectionListener, config: RouterConfig, takes: (socket: Socket) => boolean): RawFront {
  const node = installNodeFront(server, chain); // what node reads (hand-offs, HTTP/2) reaches the chain through node's front
  const clients = new Set<RawClient>();
  const front: RawFrontState = {
    chain,
    config,
    clients,
    closing: false,
    handOff(socket: Socket, bytes: Buffer): void {
      nodeListener.handOff(socket); // node:http reads this socket's stream, in order
      if (bytes.length > 0) socket.unshift(bytes);
      socket.resume();
    },
  };
  (server as EventEmitter).prependListener(event, (socket: Socket) => {
    if (front.closing) return void socket.destroy();
    if (!takes(socket)) return;
    clients.add(new RawClient(socket, front));
    startSweep();
  });

  // One sweep for every connection (like node:http's connectionsCheckingInterval): slow
  // heads and idle keep-alive connections. It runs only while the front has connections:
  // an idle router worker does not wake for it.
  const every = Math.max(50, Math.min(config.clientHeadersTimeoutMs, config.clientKeepAliveMs) / 4);
  let sweep: NodeJS.Timeout | undefined;
  let open = false;
  const startSweep = (): void => {
    if (!open || sweep) return;
    sweep = setInterval(() => {
      if (clients.size === 0) return stopSweep();
      const now = Date.now();
      for (const c of clients) c.check(now);
    }, every).unref();
  };
  const stopSweep = (): void => {
    clearInterval(sweep);
    sweep = undefined;
  };
  server.on('listening', () => {
    open = true;
    if (clients.size > 0) startSweep();
  });
  server.on('close', () => {
    open = false;
    stopSweep();
  });

  return {
    name: 'raw',
    get sweeping() {
      return sweep !== undefined;
    },
    closeIdle() {
      front.closing = true;
      for (const c of clients) c.closeIfIdle();
      node.closeIdle(); // the connections handed off to node
    },
  };
}

interface RawFrontState {
  readonly chain: RequestChain;
  readonly config: RouterConfig;
  readonly clients: Set<RawClient>;
  closing: boolean;
  handOff(socket: Socket, bytes: Buffer): void;
}

/** One client connection on the raw front. */
class RawClient implements ReplyOwner {
  readonly socket: Socket;
  readonly #front: RawFrontState;
  readonly #parser: RequestParser;
  /** Parsed requests not yet answered; the first is being answered. */
  readonly #queue: RawRequest[] = [];
  #reply: RawReply | undefined;
  /** The head (and what followed) of a request for node:http, handed over once the queue is empty. */
  #handoff: Buffer | undefined;
  #handoffHead: Buffer | undefined;
  /** A refusal owed once the queue is empty (a parse error, no Host). */
  #refusal: 400 | 408 | 431 | undefined;
  /** Reading stopped for good: refused, handed off, closing. */
  #stopped = false;
  /** When the head being read began (0: none). */
  #headStart = 0;
  #idleSince = Date.now();
  /** A reply ended with the socket's buffer full: the next waits for 'drain' (replyDone). */
  #awaitingDrain = false;
  /** The socket's reads going straight into the parser (undefined: through 'data' events). */
  readonly #reads: ConsumedReads | undefined;

  constructor(socket: Socket, front: RawFrontState) {
    this.socket = socket;
    this.#front = front;
    socket.setNoDelay(true);
    this.#parser = requestParser(
      {
        onBegin: () => {
          this.#headStart = Date.now();
        },
        onHead: (method, url, major, minor, raw, upgrade, keepAlive) => this.#onHead(method, url, major, minor, raw, upgrade, keepAlive),
      },
      front.config.maxHeaderBytes,
    );
    this.#reads = consumeReads(this.#parser, socket, (ret) => this.#executed(ret, undefined));
    socket.on('data', this.#onData); // consumed, it never fires, but keeps the stream flowing so that 'end' is emitted
    socket.on('end', this.#onEnd);
    socket.on('error', ignore);
    socket.once('close', this.#onClose);
  }

  readonly #onData = (chunk: Buffer): void => {
    if (this.#stopped) return;
    this.#executed(this.#parser.execute(chunk), chunk);
  };

  /** One read parsed (chunk: the bytes read, when they came by a 'data' event). */
  #executed(ret: number | Error, chunk: Buffer | undefined): void {
    if (ret instanceof Error) {
      const code = (ret as { code?: string }).code;
      return this.#refuse(code === 'HPE_HEADER_OVERFLOW' ? 431 : 400);
    }
    if (this.#handoffHead !== undefined) {
      const read = chunk ?? this.#reads!.current();
      this.#handoff = Buffer.concat([this.#handoffHead, read.subarray(ret)]);
      this.#handoffHead = undefined;
      this.#stop();
      if (this.#reply === undefined) this.#handOff();
    }
  }

  #onHead(method: string, url: string, major: number, minor: number, raw: string[], upgrade: boolean, keepAlive: boolean): 0 | 2 {
    if (this.#stopped) return 2;
    if (refusedAtFront(major, minor, raw)) {
      this.#refuse(400); // another version than 1.0 or 1.1, or HTTP/1.0 with Transfer-Encoding (request-hygiene.ts)
      return 2;
    }
    if (upgrade || method === 'CONNECT' || needsNode(raw)) {
      this.#handoffHead = serialiseHead(method, url, major, minor, raw);
      return 2;
    }
    this.#headStart = 0;
    const req = new RawRequest(method, url, major, minor, raw, this.socket, keepAlive);
    if (minor === 1 && req.headers.host === undefined) {
      this.#refuse(400); // as node:http's requireHostHeader
      return 2;
    }
    this.#queue.push(req);
    if (this.#queue.length === 1) this.#dispatch(req);
    else this.#pause(); // pipelined: read no further until the replies owed are written
    return 0;
  }

  #dispatch(req: RawRequest): void {
    const reply = new RawReply(req, this);
    this.#reply = reply;
    this.#front.chain.request(req, reply);
  }

  get closing(): boolean {
    return this.#front.closing;
  }

  replyDone(closeAfter: boolean): void {
    this.#reply = undefined;
    this.#queue.shift();
    this.#idleSince = Date.now();
    if (closeAfter) return this.#end();
    // a client that sends requests and takes none of the replies: the next one is answered
    // (or read) once the last is in the kernel's hands, as node:http does, else one read of
    // pipelined requests after another would pile their replies up here; a wait longer than
    // clientSendTimeoutMs closes the connection (check)
    if (this.socket.writableNeedDrain) {
      this.#awaitingDrain = true;
      this.socket.once('drain', this.#next);
      return;
    }
    this.#next();
  }

  readonly #next = (): void => {
    this.#awaitingDrain = false;
    const next = this.#queue[0];
    if (next !== undefined) return this.#dispatch(next);
    if (this.#handoff !== undefined) return this.#handOff();
    if (this.#refusal !== undefined) return this.#sendRefusal();
    if (this.#front.closing) return this.#end();
    this.#resume();
  };

  /** The sweep: a head that takes too long (408), a keep-alive connection idle too long. */
  check(now: number): void {
    const config = this.#front.config;
    if (this.#reply !== undefined || this.#stopped) return;
    if (this.#awaitingDrain) {
      if (config.clientSendTimeoutMs > 0 && now - this.#idleSince > config.clientSendTimeoutMs) this.socket.destroy();
      return;
    }
    if (this.#headStart !== 0) {
      if (now - this.#headStart > config.clientHeadersTimeoutMs) this.#refuse(408);
    } else if (now - this.#idleSince > config.clientKeepAliveMs) this.socket.destroy();
  }

  closeIfIdle(): void {
    if (this.#reply === undefined && this.#queue.length === 0) this.#end();
  }

  #refuse(status: 400 | 408 | 431): void {
    this.#refusal = status;
    this.#stop();
    if (this.#reply === undefined) this.#sendRefusal();
  }

  #sendRefusal(): void {
    const status = this.#refusal!;
    const text = status === 400 ? 'Bad Request' : status === 408 ? 'Request Timeout' : 'Request Header Fields Too Large';
    this.#queue.length = 0;
    this.socket.write(`HTTP/1.1 ${status} ${text}\r\nconnection: close\r\ncontent-length: 0\r\nx-content-type-options: nosniff\r\n\r\n`, 'latin1');
    closeAfterWrites(this.socket);
  }

  #handOff(): void {
    const bytes = this.#handoff!;
    this.#handoff = undefined;
    this.#detach();
    this.#front.handOff(this.socket, bytes);
  }

  /** Stop reading for good (what is owed is still written). */
  #stop(): void {
    this.#stopped = true;
    this.#pause();
  }

  #pause(): void {
    if (this.#reads) this.#reads.pause();
    else this.socket.pause();
  }

  #resume(): void {
    if (this.#reads) this.#reads.resume();
    else if (this.socket.isPaused()) this.socket.resume();
  }

  #end(): void {
    this.#stop();
    closeAfterWrites(this.socket);
  }

  /** The client half-closed: as node:http does, what it asked is abandoned and the connection ends. */
  readonly #onEnd = (): void => {
    this.#handoff = undefined;
    this.#end();
    this.#abandon();
  };

  readonly #onClose = (): void => {
    this.#detach();
    this.#abandon();
  };

  /** Drop what is owed: the reply in progress is told the client is gone. */
  #abandon(): void {
    this.#queue.length = 0;
    const reply = this.#reply;
    this.#reply = undefined;
    reply?.aborted();
  }

  /** Let go of the socket: no more listeners, parser freed. */
  #detach(): void {
    this.#front.clients.delete(this);
    this.socket.off('data', this.#onData);
    this.socket.off('end', this.#onEnd);
    this.socket.off('error', ignore);
    this.socket.off('close', this.#onClose);
    if (this.#reads && !this.socket.destroyed) {
      // Reads go back to the socket's stream, which still counts on the read it asked for
      // when the socket was made: the handle must be reading, and the stream paused so
      // that what arrives waits behind the bytes the next owner is given.
      this.socket.pause();
      this.#reads.release();
      this.#reads.resume();
    }
    setImmediate(closeParser, this.#parser); // not from inside one of its own callbacks
  }
}

/** A body, Expect: 100-continue, or anything else node:http should handle. */
function needsNode(raw: readonly string[]): boolean {
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const n = name.length;
    if (n !== 6 && n !== 14 && n !== 17) continue; // expect, content-length, transfer-encoding
    const lower = name.toLowerCase();
    if (lower === 'expect' || lower === 'transfer-encoding') return true;
    if (lower === 'content-length' && hasBody({ 'content-length': raw[i + 1] })) return true;
  }
  return false;
}

/** The request head again, as bytes for node:http (llhttp has validated every part). */
function serialiseHead(method: string, url: string, major: number, minor: number, raw: readonly string[]): Buffer {
  let head = `${method} ${url} HTTP/${major}.${minor}\r\n`;
  for (let i = 0; i < raw.length; i += 2) head += `${raw[i]!}: ${raw[i + 1]!}\r\n`;
  return Buffer.from(`${head}\r\n`, 'latin1');
}

/**
 * End the connection and destroy it once what is owed is written, as node:http does for
 * its last response (destroySoon). Waiting for the client's FIN instead would wait
 * forever: reading has stopped, so it is never seen, and the socket would stay open
 * (CLOSE_WAIT) — holding a close() for its whole drain deadline.
 */
function closeAfterWrites(socket: Socket): void {
  if (socket.writableFinished) return void socket.destroy();
  socket.once('finish', () => socket.destroy());
  if (!socket.writableEnded) socket.end();
}

function closeParser(parser: RequestParser): void {
  parser.close();
}

function ignore(): void {}
