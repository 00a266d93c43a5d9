// Node's own llhttp binding (the C parser behind node:http), used on the raw fast paths:
// to read upstream responses (raw-connection.ts) and client requests (raw-server.ts).
// Strict (no lenient flags): the same parser and settings node:http uses with
// insecureHTTPParser off, so neither a client nor a backend can smuggle a second message
// past the router. Reached through `_http_common`, which node:http itself uses; isolated
// here so a Node upgrade touches one file. So are the other internals the fronts lean on:
// the name of the connection listener that node:http and node:http2 install on their
// servers and a stream handle's `_consumed` flag (takeNodeListener), and the server
// properties node:http's HTTP/1.1 side reads from node:http2's secure server
// (setHttp1Settings). raw-parser.test.ts fails loudly when a Node upgrade changes any of them.

import type { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';

export interface ResponseParserCallbacks {
  /** Headers complete; return true to skip the body (a response to HEAD). */
  onHeaders(statusCode: number, rawHeaders: string[], keepAlive: boolean): boolean;
  onBody(chunk: Buffer): void;
  onComplete(): void;
}

interface NativeParser {
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void;
  execute(data: Buffer): number | Error;
  consume(handle: StreamHandle): void;
  unconsume(): void;
  getCurrentBuffer(): Buffer;
  finish(): undefined | Error;
  close(): void;
  free(): void;
  [callback: number]: unknown;
}

interface NativeParserClass {
  new (): NativeParser;
  REQUEST: number;
  RESPONSE: number;
  kOnMessageBegin: number;
  kOnHeaders: number;
  kOnHeadersComplete: number;
  kOnBody: number;
  kOnMessageComplete: number;
  kOnExecute: number;
  kLenientNone: number;
}

/** A socket's native stream handle (libuv TCP), as node:http's server consumes it. */
interface StreamHandle {
  isStreamBase?: boolean;
  _consumed?: boolean;
  reading?: boolean;
  readStart(): number;
  readStop(): number;
}

/** A socket whose reads go straight from libuv into a parser, never through its JS stream. */
export interface ConsumedReads {
  /** Stop and restart reading (flow control), keeping the socket's own reading flag true. */
  pause(): void;
  resume(): void;
  /** The bytes of the read being parsed (only inside onExecute). */
  current(): Buffer;
  /** Give the reads back to the socket's stream (before another owner takes the socket). */
  release(): void;
}

/**
 * Feed a socket's reads to parser in C++, as node:http's server does with its own
 * parser: no Buffer, stream push or 'data' event per read. onExecute gets what execute
 * would have returned. Undefined when the socket has no consumable handle (then use
 * 'data' events and execute). End of stream and errors still reach the socket's stream.
 */
export function consumeReads(parser: NativeParser, socket: object, onExecute: (ret: number | Error) => void): ConsumedReads | undefined {
  const handle = (socket as { _handle?: StreamHandle | null })._handle;
  if (!handle?.isStreamBase || handle._consumed) return undefined;
  handle._consumed = true;
  parser[HTTPParser.kOnExecute] = onExecute;
  parser.consume(handle);
  let released = false;
  return {
    pause() {
      if (!released && handle.reading) {
        handle.reading = false;
        handle.readStop();
      }
    },
    resume() {
      if (!handle.reading) {
        handle.reading = true;
        handle.readStart();
      }
    },
    current: () => parser.getCurrentBuffer(),
    release() {
      if (released) return;
      released = true;
      parser.unconsume();
    },
  };
}

const { HTTPParser, methods } = createRequire(import.meta.url)('_http_common') as { HTTPParser: NativeParserClass; methods: string[] };

/** A response parser for one upstream connection; it reads every response on it in turn. */
export function responseParser(cb: ResponseParserCallbacks): NativeParser {
  const parser = new HTTPParser();
  parser.initialize(HTTPParser.RESPONSE, {}, 0, HTTPParser.kLenientNone);
  let partial: string[] = [];
  parser[HTTPParser.kOnHeaders] = (headers: string[]) => {
    // headers split over several reads arrive in parts first
    partial = partial.length === 0 ? headers : partial.concat(headers);
  };
  parser[HTTPParser.kOnHeadersComplete] = (
    _major: number,
    _minor: number,
    headers: string[] | undefined,
    _method: unknown,
    _url: unknown,
    statusCode: number,
    _statusMessage: unknown,
    _upgrade: boolean,
    keepAlive: boolean,
  ) => {
    const raw = headers ?? partial;
    partial = [];
    return cb.onHeaders(statusCode, raw, keepAlive) ? 1 : 0;
  };
  parser[HTTPParser.kOnBody] = (chunk: Buffer) => cb.onBody(chunk);
  parser[HTTPParser.kOnMessageComplete] = () => cb.onComplete();
  return parser;
}

export type ResponseParser = NativeParser;

export interface RequestParserCallbacks {
  /** A request begins (its first byte arrived). */
  onBegin(): void;
  /**
   * The request's head is complete. Return 0 to go on parsing (the body, if any, is
   * ignored: the raw front takes only bodiless requests), or 2 to stop right after this
   * head (execute then returns the offset of the first byte after it).
   */
  onHead(method: string, url: string, versionMajor: number, versionMinor: number, rawHeaders: string[], upgrade: boolean, keepAlive: boolean): 0 | 2;
}

/**
 * A request parser for one client connection; it reads every request on it in turn. The
 * end of a message (bodiless here) is not a callback: each callback set costs a call from
 * C++ into JavaScript per request, and node's binding skips one that is not a function.
 */
export function requestParser(cb: RequestParserCallbacks, maxHeaderBytes: number): NativeParser {
  const parser = new HTTPParser();
  parser.initialize(HTTPParser.REQUEST, {}, maxHeaderBytes, HTTPParser.kLenientNone);
  let partial: string[] = [];
  let partialUrl = '';
  parser[HTTPParser.kOnMessageBegin] = () => cb.onBegin();
  parser[HTTPParser.kOnHeaders] = (headers: string[], url: string) => {
    // a head split over several reads arrives in parts first
    partial = partial.length === 0 ? headers : partial.concat(headers);
    partialUrl += url;
  };
  parser[HTTPParser.kOnHeadersComplete] = (
    major: number,
    minor: number,
    headers: string[] | undefined,
    method: number,
    url: string | undefined,
    _statusCode: unknown,
    _statusMessage: unknown,
    upgrade: boolean,
    keepAlive: boolean,
  ) => {
    const raw = headers ?? partial;
    const target = url || partialUrl;
    partial = [];
    partialUrl = '';
    return cb.onHead(methods[method] ?? 'GET', target, major, minor, raw, upgrade, keepAlive);
  };
  parser[HTTPParser.kOnBody] = () => {};
  return parser;
}

export type RequestParser = NativeParser;

/** Node's own handling of a new connection, taken off its server by takeNodeListener. */
export interface NodeConnectionListener {
  /** A connection node handles from its start (HTTP/2). */
  give(socket: Socket): void;
  /** A connection the raw front has read from: node reads it through its stream (what the raw front puts back first). */
  handOff(socket: Socket): void;
}

/**
 * Take node's own connection listener off a server's event so that the raw front sees
 * every connection first: node:http's on 'connection', node:http2's secure server's on
 * 'secureConnection' (which picks HTTP/2 or node:http's HTTP/1.1 by ALPN). Both are named
 * `connectionListener` in Node's sources. On a hand-off the socket's stream handle is
 * marked consumed first, so that node:http reads it through the stream — in order, after
 * the bytes the raw front puts back — rather than straight from the handle.
 */
export function takeNodeListener(server: EventEmitter, event: 'connection' | 'secureConnection'): NodeConnectionListener {
  const listener = server.listeners(event).find((l) => l.name === 'connectionListener') as ((this: EventEmitter, socket: Socket) => void) | undefined;
  if (listener === undefined) throw new Error(`node's own '${event}' listener (connectionListener) not found: has a Node upgrade renamed it?`);
  server.removeListener(event, listener);
  return {
    give: (socket) => listener.call(server, socket),
    handOff: (socket) => {
      const handle = (socket as { _handle?: StreamHandle | null })._handle;
      if (handle) handle._consumed = true;
      listener.call(server, socket);
    },
  };
}

/**
 * node:http's client-side settings on the HTTP/1.1 side of node:http2's secure server
 * (allowHTTP1): node's HTTP/1.1 connection listener reads them from the server object it
 * runs on (maxHeaderSize, insecureHTTPParser, requireHostHeader, keepAliveTimeout…),
 * which createSecureServer does not take as options.
 */
export function setHttp1Settings(server: object, settings: Readonly<Record<string, unknown>>): void {
  Object.assign(server, settings);
}
