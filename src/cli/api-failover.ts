// Which controller a CLI call goes to. `--api` / CORRAL_API / <dir>/api-url may list
// several URLs, comma-separated; a call tries them in order:
// - a connection that was never made (refused, unreachable, connect timeout) → next URL,
//   whatever the method: the controller never saw the request;
// - a connection that broke after the request was sent → next URL only for idempotent
//   methods (GET, HEAD, PUT, DELETE); a POST or PATCH may have been applied, so it stops;
// - a 502/503 answer → next URL for idempotent methods (that controller cannot serve now).
import { CliError } from './errors.ts';

export const CONNECT_TIMEOUT_MS = 1500;

/** One try against one controller: an answer, or how it failed and whether the request left. */
export type Attempt<T> = { ok: true; value: T; status: number } | { ok: false; cause: string; sent: boolean };

/** The controller URLs in a comma-separated list, validated, without trailing slashes. */
export function apiUrls(spec: string): string[] {
  const urls = [...new Set(spec.split(',').map((u) => u.trim().replace(/\/+$/, '')).filter(Boolean))];
  if (urls.length === 0) throw new CliError('the API address is empty: give one URL or several, comma-separated (such as http://10.0.0.1:7400,http://10.0.0.2:7400)');
  for (const u of urls) {
    if (!URL.canParse(u) || !/^https?:$/.test(new URL(u).protocol)) throw new CliError(`the API address ${u} is not an http(s) URL (such as http://127.0.0.1:7400)`);
  }
  return urls;
}

export function isIdempotent(method: string): boolean {
  return ['GET', 'HEAD', 'PUT', 'DELETE'].includes(method.toUpperCase());
}

/** Error codes that mean no connection was ever made. */
export function neverConnected(cause: string): boolean {
  return ['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT'].includes(cause);
}

/** Run `attempt` against each URL in turn until one answers (see the rules above). */
export async function tryEach<T>(urls: readonly string[], method: string, attempt: (base: string) => Promise<Attempt<T>>): Promise<T> {
  const tried: string[] = [];
  let unavailable: T | undefined;
  for (const [i, base] of urls.entries()) {
    const r = await attempt(base);
    const last = i === urls.length - 1;
    if (r.ok) {
      if (last || !isIdempotent(method) || (r.status !== 502 && r.status !== 503)) return r.value;
      tried.push(`${base} (HTTP ${r.status})`);
      unavailable = r.value;
      continue;
    }
    if (r.sent && !isIdempotent(method)) {
      throw new CliError(`the connection to the Corral API at ${base} broke after the ${method} request was sent (${r.cause}); it may have been applied, so it was not repeated on another controller: check, then try again`);
    }
    tried.push(`${base} (${r.cause})`);
  }
  if (unavailable !== undefined) return unavailable;
  if (tried.length === 1) throw new CliError(`cannot reach the Corral API at ${tried[0]}; is \`corral up\` running?`);
  throw new CliError(`cannot reach the Corral API at any of ${tried.join(', ')}; is a controller running?`);
}
