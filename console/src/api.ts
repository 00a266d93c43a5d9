// The console's only way to the farm: the controller's REST API with the signed-in
// token (kept in sessionStorage: gone when the tab closes). The API decides what a token
// may see; the console shows what it returns.
//
// The status and certificate answers' types are the model's (src/model/status-views.ts,
// certificate-views.ts, which the controller builds them with): type-only imports, erased at build.

import type { FarmStatus, SiteStatus, VirtualServerView } from '../../src/model/status-views.ts';
import type { CertificateState } from '../../src/model/certificate-views.ts';

export type { CertificateState, FarmStatus, SiteStatus };

const TOKEN_KEY = 'corral.token';

export interface Site {
  name: string; customer: string; domains: string[]; kind: 'static' | 'app'; replicas: number;
  command?: string; healthPath: string; release?: string; previousRelease?: string; createdAt: string; updatedAt: string; spa?: boolean;
  autoscale?: { minReplicas: number; maxReplicas: number; targetConcurrency?: number; idleTimeoutMs?: number };
}
export interface Release { id: string; site: string; number: number; sha256: string; size: number; files: number; createdAt: string }
export interface Engine { id: string; runtime: string; capacity: { cpus: number; memoryMb: number; maxVirtualServers: number }; startedAt: string; draining?: boolean }
export type Vs = VirtualServerView;
/** errors: 5xx answers and requests cut off; clientErrors: 4xx answers (absent when the router does not count them). */
export interface StatsPoint { t: number; requests: number; errors: number; clientErrors?: number; p50Ms?: number; p99Ms?: number }
export interface FarmEvent {
  id: string; at: string; type: 'audit' | 'farm'; action: string; principal?: string; target?: string;
  customer?: string; site?: string; engine?: string; vs?: string; result?: 'ok' | 'error'; status?: number; message?: string;
}
export interface Whoami { role: 'admin' | 'customer' | 'engine'; customer?: string }

export class ApiError extends Error {
  constructor(readonly status: number, message: string, readonly code?: string) {
    super(message);
  }
}

export const token = {
  get: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  set: (t: string) => sessionStorage.setItem(TOKEN_KEY, t),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

function headers(extra: Record<string, string> = {}): Record<string, string> {
  return { authorization: `Bearer ${token.get() ?? ''}`, ...extra };
}

async function failure(res: Response): Promise<ApiError> {
  const body = (await res.json().catch(() => undefined)) as { error?: { code: string; message: string } } | undefined;
  return new ApiError(res.status, body?.error?.message ?? `${res.status} ${res.statusText}`, body?.error?.code);
}

export async function get<T>(path: string, signal?: AbortSignal): Promise<T> {
  const res = await fetch(path, { headers: headers(), ...(signal ? { signal } : {}) });
  if (!res.ok) throw await failure(res);
  return (await res.json()) as T;
}

/**
 * Reads a server-sent events stream (fetch, not EventSource: the token goes in a header)
 * and calls onEvent with each `data:` as JSON. Resolves when the server ends the stream.
 */
export async function stream<T>(path: string, onEvent: (data: T) => void, signal: AbortSignal): Promise<void> {
  const res = await fetch(path, { headers: headers({ accept: 'text/event-stream' }), signal });
  if (!res.ok || !res.body) throw await failure(res);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    buf += value;
    let end;
    while ((end = buf.indexOf('\n\n')) >= 0) {
      const data = buf.slice(0, end).split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
      buf = buf.slice(end + 2);
      if (data) onEvent(JSON.parse(data) as T);
    }
  }
}

export async function send<T>(method: 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const res = await fetch(path, {
    method,
    headers: headers(body === undefined ? {} : { 'content-type': 'application/json' }),
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!res.ok) throw await failure(res);
  return (res.status === 204 ? undefined : await res.json()) as T;
}

/** Uploads a release tarball with progress (XMLHttpRequest: fetch cannot report upload progress). */
export function uploadRelease(site: string, file: Blob, onProgress: (sent: number, total: number) => void): Promise<{ release: Release; site: Site }> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/v1/sites/${encodeURIComponent(site)}/releases?activate=true`);
    for (const [k, v] of Object.entries(headers({ 'content-type': 'application/gzip' }))) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
    xhr.onerror = () => reject(new ApiError(0, 'the upload failed: network error'));
    xhr.onload = () => {
      let body: unknown;
      try { body = JSON.parse(xhr.responseText); } catch { body = undefined; }
      if (xhr.status >= 200 && xhr.status < 300) resolve(body as { release: Release; site: Site });
      else reject(new ApiError(xhr.status, (body as { error?: { message: string } } | undefined)?.error?.message ?? `upload failed: ${xhr.status}`));
    };
    xhr.send(file);
  });
}

/**
 * Streams a site's logs (tail, then follow) line by line until the signal aborts: what the
 * API gives by default (the guests' output, and the router's access lines where the
 * controller serves them, prefixed `router | `); the view filters by source itself.
 */
export async function followLogs(site: string, tail: number, onLine: (line: string) => void, signal: AbortSignal): Promise<void> {
  const res = await fetch(`/v1/sites/${encodeURIComponent(site)}/logs?tail=${tail}&follow=true`, { headers: headers(), signal });
  if (!res.ok || !res.body) throw await failure(res);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let rest = '';
  while (true) {
    const { value, done } = await reader.read();
    if (done) return;
    rest += value;
    const lines = rest.split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) onLine(line);
  }
}
