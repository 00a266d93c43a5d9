// A JSON POST (or GET) over node:http / node:https, for the few calls a cluster role makes
// to another (an engine joining the farm, a controller asking an engine for logs). Not the
// global fetch: its first call loads Node's bundled undici and compiles llhttp's
// WebAssembly, ≈ 16 MB of RSS that the process keeps for good (measured: an idle node with
// pino went from 51 to 67 MB after one fetch, 52 after one http.get) — a quarter of a
// router node primary's budget.

import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface JsonAnswer {
  status: number;
  /** The answer parsed as JSON; undefined when it was empty or not JSON. */
  json: unknown;
}

export interface PostJsonOptions {
  /** The whole exchange, connecting included. */
  timeoutMs: number;
  headers?: Record<string, string>;
  /** A longer answer rejects (default 1 MiB). */
  maxBytes?: number;
}

/** POST body as JSON to url (http: or https:); rejects on a connection failure, the timeout or an answer over maxBytes. */
export function postJson(url: string, body: unknown, opts: PostJsonOptions): Promise<JsonAnswer> {
  return exchangeJson('POST', url, JSON.stringify(body), opts);
}

/** GET url and parse its answer as JSON; rejects as postJson does. */
export function getJson(url: string, opts: PostJsonOptions): Promise<JsonAnswer> {
  return exchangeJson('GET', url, undefined, opts);
}

function exchangeJson(method: 'GET' | 'POST', url: string, payload: string | undefined, opts: PostJsonOptions): Promise<JsonAnswer> {
  const target = new URL(url);
  if (target.protocol !== 'http:' && target.protocol !== 'https:') return Promise.reject(new TypeError(`${url}: not an http(s) URL`));
  const maxBytes = opts.maxBytes ?? 1024 * 1024;
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    const fail = (err: Error) => {
      if (settled) return; // 'close' after 'end', or an error after the answer was taken
      settle(() => reject(err));
      req.destroy();
    };
    // one deadline for the whole exchange, the answer's body included
    const timer = setTimeout(() => fail(new Error(`no answer within ${opts.timeoutMs} ms`)), opts.timeoutMs);
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const headers = payload === undefined ? { ...opts.headers } : { ...opts.headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) };
    const req = send(target, { method, headers });
    req.on('error', fail);
    req.on('response', (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) return fail(new Error(`answer longer than ${maxBytes} bytes`));
        chunks.push(chunk);
      });
      res.on('end', () => settle(() => resolve({ status: res.statusCode ?? 0, json: parseOrUndefined(Buffer.concat(chunks).toString('utf8')) })));
      // the connection closed before the answer ended (no 'end' comes; Node says 'aborted')
      const cut = (cause?: Error) => fail(new Error('the connection closed before the answer ended', { cause }));
      res.on('error', cut);
      res.on('close', () => cut());
    });
    req.end(payload);
  });
}

function parseOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
