// Node's own llhttp binding (the C parser behind node:http), used to read upstream
// responses on the raw fast path. Strict (no lenient flags), so a backend cannot smuggle
// a second response past the router either. Reached through `_http_common`, which
// node:http itself uses; isolated here so a Node upgrade touches one file.

import { createRequire } from 'node:module';

export interface ResponseParserCallbacks {
  /** Headers complete; return true to skip the body (a response to HEAD). */
  onHeaders(statusCode: number, rawHeaders: string[], keepAlive: boolean): boolean;
  onBody(chunk: Buffer): void;
  onComplete(): void;
}

interface NativeParser {
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void;
  execute(data: Buffer): number | Error;
  finish(): undefined | Error;
  close(): void;
  free(): void;
  [callback: number]: unknown;
}

interface NativeParserClass {
  new (): NativeParser;
  RESPONSE: number;
  kOnHeaders: number;
  kOnHeadersComplete: number;
  kOnBody: number;
  kOnMessageComplete: number;
  kLenientNone: number;
}

const { HTTPParser } = createRequire(import.meta.url)('_http_common') as { HTTPParser: NativeParserClass };

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
