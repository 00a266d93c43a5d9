// --drain-timeout for `corral site create` and `corral site set`: how long a server that
// leaves the route (deploy, rollback, scale-down) keeps its open connections before it
// is stopped. A bare number is seconds; "500ms", "90s" and "2m" also work.
import { CliError } from '../errors.ts';
import { durationMs } from './duration.ts';

export const DRAIN_TIMEOUT_HELP =
  'seconds a server leaving the route (deploy, rollback, scale-down) keeps its open connections (WebSockets, long requests) before it is stopped, 0–3600 (default 5; also 500ms, 2m)';

const MAX_MS = 3_600_000;

/** The flag's value in whole milliseconds, 0–3 600 000. */
export function drainTimeoutMs(v: string): number {
  const ms = durationMs(v, 's');
  if (ms === undefined) throw new CliError(`--drain-timeout must be a number of seconds such as 30 (or 500ms, 2m), got "${v}"`);
  if (ms > MAX_MS) throw new CliError(`--drain-timeout must be at most 3600 seconds (1 hour), got "${v}"`);
  return ms;
}

/** "5s", "1.5s", "250ms". */
export function drainTimeoutText(ms: number): string {
  return ms % 1000 === 0 || ms >= 1000 ? `${ms / 1000}s` : `${ms}ms`;
}
