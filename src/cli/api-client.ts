// A small client for the controller's /v1 API: JSON in, JSON out, errors as ApiError
// carrying the server's message. JSON calls go through node:http(s) (Node's fetch loads
// its HTTP stack on first use, ~0.1 s: most of a `corral status`); uploads and streams
// through fetch.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import { ApiError, CliError } from './errors.ts';
import type { ClientConfig } from './config.ts';

export interface ApiClient {
  get<T>(path: string): Promise<T>;
  post<T>(path: string, body?: unknown): Promise<T>;
  patch<T>(path: string, body: unknown): Promise<T>;
  delete<T>(path: string): Promise<T>;
  upload<T>(path: string, body: Readable, size: number): Promise<T>;
  /** A streaming GET (logs -f); returns the raw response. */
  stream(path: string, signal?: AbortSignal): Promise<Response>;
}

export function apiClient(cfg: ClientConfig): ApiClient {
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => toData<T>(await sendJson(cfg, method, path, body));
  return {
    get: (path) => call('GET', path),
    post: (path, body) => call('POST', path, body ?? {}),
    patch: (path, body) => call('PATCH', path, body),
    delete: (path) => call('DELETE', path),
    async upload<T>(path: string, body: Readable, size: number): Promise<T> {
      const res = await send(cfg, 'POST', path, undefined, {
        body: body as unknown as RequestInit['body'],
        headers: { 'content-type': 'application/gzip', 'content-length': String(size) },
        duplex: 'half',
      } as RequestInit);
      return toData<T>({ status: res.status, text: await res.text() });
    },
    async stream(path, signal) {
      const res = await send(cfg, 'GET', path, undefined, signal ? { signal } : {});
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

/** One JSON request with node:http(s); the whole answer as text. */
async function sendJson(cfg: ClientConfig, method: string, path: string, body: unknown): Promise<Answer> {
  if (!URL.canParse(cfg.api) || !/^https?:$/.test(new URL(cfg.api).protocol)) throw new CliError(`the API address ${cfg.api} is not an http(s) URL (such as http://127.0.0.1:7400)`);
  const url = new URL(`${cfg.api}${path}`);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const headers: Record<string, string> = { authorization: `Bearer ${cfg.token}` };
  if (payload !== undefined) Object.assign(headers, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) });
  return new Promise((done, fail) => {
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', fail);
    });
    req.on('error', (err: NodeJS.ErrnoException) => fail(unreachable(cfg, err.code ?? err.message)));
    req.end(payload);
  });
}

function unreachable(cfg: ClientConfig, cause: string): CliError {
  return new CliError(`cannot reach the Corral API at ${cfg.api} (${cause}); is \`corral up\` running?`);
}

async function send(cfg: ClientConfig, method: string, path: string, body: unknown, extra: RequestInit): Promise<Response> {
  const headers: Record<string, string> = { authorization: `Bearer ${cfg.token}`, ...(extra.headers as Record<string, string> | undefined) };
  const init: RequestInit = { ...extra, method, headers };
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  try {
    return await fetch(`${cfg.api}${path}`, init);
  } catch (err) {
    throw unreachable(cfg, (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message);
  }
}

function toApiError(status: number, data: unknown, text: string): ApiError {
  const e = (data as { error?: { code?: string; message?: string } } | undefined)?.error;
  return new ApiError(status, e?.code ?? `http_${status}`, e?.message ?? (text.slice(0, 200) || `HTTP ${status}`));
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
