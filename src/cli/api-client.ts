// A small client for the controller's /v1 API: JSON in, JSON out, errors as ApiError
// carrying the server's message.
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
  const call = async <T>(method: string, path: string, body?: unknown, extra: RequestInit = {}): Promise<T> => {
    const res = await send(cfg, method, path, body, extra);
    const text = await res.text();
    const data: unknown = text ? safeJson(text) : {};
    if (!res.ok) throw toApiError(res.status, data, text);
    return data as T;
  };
  return {
    get: (path) => call('GET', path),
    post: (path, body) => call('POST', path, body ?? {}),
    patch: (path, body) => call('PATCH', path, body),
    delete: (path) => call('DELETE', path),
    upload: (path, body, size) =>
      call('POST', path, undefined, {
        body: body as unknown as RequestInit['body'],
        headers: { 'content-type': 'application/gzip', 'content-length': String(size) },
        duplex: 'half',
      } as RequestInit),
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
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    throw new CliError(`cannot reach the Corral API at ${cfg.api} (${cause}); is \`corral up\` running?`);
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
