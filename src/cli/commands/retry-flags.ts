// --per-try-timeout, --retry-budget, --min-retries and --max-tries for `corral site set`:
// the router's retries per site, as the API's `retry` object. The API replaces the whole
// object, so the flags are merged into the site's stored settings; `default` (or `off`
// for the timeout) drops one. Ranges are checked by the API (400 naming the field).
import type { RouteRetry } from '../../model/index.ts';
import { RETRY_DEFAULTS } from '../../model/retry-defaults.ts';
import { CliError } from '../errors.ts';
import { durationMs as parseDuration } from './duration.ts';
import { decimal, wholeNumber } from './numbers.ts';

export interface RetryOpts {
  perTryTimeout?: string;
  retryBudget?: string;
  minRetries?: string;
  maxTries?: string;
}

export const RETRY_HELP = `
Retries (per router process): --per-try-timeout gives each try of a GET/HEAD/OPTIONS/PUT/DELETE
without a body that long for the response headers before the next endpoint is tried (504 when
none is left; default: the router's, ${RETRY_DEFAULTS.perTryTimeoutMs / 1000} s, on every try but the last, which waits up to 60 s;
off restores it); requests with a body are never
retried that way. Retries may add at most
--retry-budget of the site's requests over ${RETRY_DEFAULTS.budgetWindowSeconds} s (default ${RETRY_DEFAULTS.budgetRatio}), plus --min-retries a second
(default ${RETRY_DEFAULTS.minRetriesPerSecond}). --max-tries caps the tries per request (default: the endpoint count, at least 2).
"default" restores a setting's default.`;

export function hasRetryFlags(o: RetryOpts): boolean {
  return o.perTryTimeout !== undefined || o.retryBudget !== undefined || o.minRetries !== undefined || o.maxTries !== undefined;
}

/** The stored retry settings with the flags applied. */
export function retryBody(o: RetryOpts, stored: RouteRetry | undefined): RouteRetry {
  const out: RouteRetry = { ...stored };
  set(out, 'perTryTimeoutMs', o.perTryTimeout, (v) => (v === 'off' ? undefined : durationMs(v, '--per-try-timeout')));
  set(out, 'budgetRatio', o.retryBudget, (v) => ratio(v));
  set(out, 'minRetriesPerSecond', o.minRetries, (v) => wholeNumber(v, '--min-retries'));
  set(out, 'maxTries', o.maxTries, (v) => wholeNumber(v, '--max-tries'));
  return out;
}

export function retryText(r: RouteRetry | undefined): string {
  const parts = [
    `per-try timeout ${r?.perTryTimeoutMs !== undefined ? `${r.perTryTimeoutMs}ms` : `the router's (${RETRY_DEFAULTS.perTryTimeoutMs / 1000} s)`}`,
    `retry budget ${r?.budgetRatio ?? RETRY_DEFAULTS.budgetRatio} + ${r?.minRetriesPerSecond ?? RETRY_DEFAULTS.minRetriesPerSecond}/s`,
    `max tries ${r?.maxTries ?? 'per endpoints'}`,
  ];
  return parts.join(', ');
}

/** "2s", "1.5s", "500ms", "1m" or a number of milliseconds → whole milliseconds. */
export function durationMs(v: string, flag: string): number {
  const ms = parseDuration(v, 'ms');
  if (ms === undefined) throw new CliError(`${flag} must be a duration such as 2s, 1.5s or 500ms, got "${v}"`);
  return ms;
}

function set<K extends keyof RouteRetry>(out: RouteRetry, key: K, flag: string | undefined, parse: (v: string) => RouteRetry[K]): void {
  if (flag === undefined) return;
  const v = flag === 'default' ? undefined : parse(flag);
  if (v === undefined) delete out[key];
  else out[key] = v;
}

function ratio(v: string): number {
  const pct = v.endsWith('%');
  const n = decimal(pct ? v.slice(0, -1) : v);
  if (!Number.isFinite(n)) throw new CliError(`--retry-budget must be a ratio such as 0.2 (or 20%), got "${v}"`);
  return pct ? n / 100 : n;
}

