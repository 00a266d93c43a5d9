// A small client for the controller's /v1 API: JSON in, JSON out, errors as ApiError
// carrying the server's message. JSON calls go through node:http(s) (Node's fetch loads
// its HTTP stack on first use, ~0.1 s: most of a `corral status`); uploads and streams
// through fetch.
//
// Failover: `cfg.api` may list several controllers, comma-separated. Each call tries them
// in order (api-failover.ts says when the next one may be tried); when all fail, the error
// names every URL tried.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import { ApiError } from './errors.ts';
import type { ClientConfig } from './config.ts';
import { apiUrls, CONNECT_TIMEOUT_MS, neverConnected, tryEach, type Attempt } from './api-failover.ts';

export interface ApiClient {
  get<T>(path: string): Promise<T>;
  post<T>(path: string, body?: unknown): Promise<T>;
  patch<T>(path: string, body: unknown): Promise<T>;
  delete<T>(path: string): Promise<T>;
  upload<T>(path: string, body: Readable, size: number): Promise<T>;
  /** A streaming GET (logs -f); returns the raw response. */
  stream(path: string, signal?: AbortSignal): Promise<Response>;
}

export interface ApiClientOptions {
  /** How long to wait for a TCP connection before trying the next controller (default 1.5 s). */
  connectTimeoutMs?: number;
}

export function apiClient(cfg: ClientConfig, opts: ApiClientOptions = {}): ApiClient {
  const urls = apiUrls(cfg.api);
  const connectTimeoutMs = opts.connectTimeoutMs ?? CONNECT_TIMEOUT_MS;
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> =>
    toData<T>(await tryEach(urls, method, (base) => sendJson(base, cfg.token, method, path, body, connectTimeoutMs)));
  return {
    get: (path) => call('GET', path),
    post: (path, body) => call('POST', path, body ?? {}),
    patch: (path, body) => call('PATCH', path, body),
    delete: (path) => call('DELETE', path),
    async upload<T>(path: string, body: Readable, size: number): Promise<T> {
      // The body is a one-shot stream: only a refused connection (nothing read) is tried elsewhere.
      const res = await tryEach(urls, 'POST', (base) => sendFetch(base, cfg.token, 'POST', path, {
        body: body as unknown as RequestInit['body'],
        headers: { 'content-type': 'application/gzip', 'content-length': String(size) },
        duplex: 'half',
      } as RequestInit));
      return toData<T>({ status: res.status, text: await res.text() });
    },
    async stream(path, signal) {
      const res = await tryEach(urls, 'GET', (base) => sendFetch(base, cfg.token, 'GET', path, signal ? { signal } : {}));
      if (!res.ok) {
        const text = await res.text();
        throw toApiError(res.status, safeJson(text), text);
      }
      return res;
    },
  };
}

interface Answer {
  status: number;
  text: string;
}

function toData<T>(res: Answer): T {
  const data: unknown = res.text ? safeJson(res.text) : {};
  if (res.status < 200 || res.status > 299) throw toApiError(res.status, data, res.text);
  return data as T;
}

/** One JSON request to one controller with node:http(s); the whole answer as text. */
function sendJson(base: string, token: string, method: string, path: string, body: unknown, connectTimeoutMs: number): Promise<Attempt<Answer>> {
  const url = new URL(`${base}${path}`);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (payload !== undefined) Object.assign(headers, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) });
  return new Promise((done) => {
    let connected = false;
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done({ ok: true, value: { status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }, status: res.statusCode ?? 0 }));
      res.on('error', (err: NodeJS.ErrnoException) => done({ ok: false, cause: err.code ?? err.message, sent: true }));
    });
    const timer = setTimeout(() => req.destroy(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' })), connectTimeoutMs);
    req.on('socket', (socket) => {
      if (!socket.connecting) {
        connected = true;
        clearTimeout(timer);
      }
      socket.once('connect', () => {
        connected = true;
        clearTimeout(timer);
      });
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      done({ ok: false, cause: err.code ?? err.message, sent: connected });
    });
    req.end(payload);
  });
}

async function sendFetch(base: string, token: string, method: string, path: string, extra: RequestInit): Promise<Attempt<Response>> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, ...(extra.headers as Record<string, string> | undefined) };
  try {
    const res = await fetch(`${base}${path}`, { ...extra, method, headers });
    return { ok: true, value: res, status: res.status };
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    // fetch does not say whether the request left; only a refused connection surely did not.
    return { ok: false, cause, sent: !neverConnected(cause) };
  }
}

function toApiError(status: number, data: unknown, text: string): ApiError {
  const e = (data as { error?: { code?: string; message?: string } } | undefined)?.error;
  if (e?.message !== undefined) return new ApiError(status, e.code ?? `http_${status}`, e.message);
  // not the API's error shape: something else answered (the router's port given as --api, a
  // proxy); its first line only, so the error stays one line
  const first = text.trim().split('\n', 1)[0]!.slice(0, 200);
  return new ApiError(status, `http_${status}`, `HTTP ${status} from something that is not a Corral API${first ? ` ("${first}")` : ''}: is --api / CORRAL_API the controller's address (corral up's api line)?`);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
