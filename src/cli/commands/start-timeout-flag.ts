// --start-timeout for `corral site create` and `corral site set`: how long a starting server
// has to pass its health check before its engine stops it and starts it again (the engine's
// default is 30 s; a JVM or a large Rails app boots slower). A bare number is seconds; "90s"
// and "2m" also work. A change rolls out new servers, as a new command does.
import { CliError } from '../errors.ts';
import { durationMs } from './duration.ts';

/** The API's bound (model/schemas.ts MAX_START_TIMEOUT_MS; the CLI loads no schema). */
const MAX_START_TIMEOUT_MS = 600_000;

export const START_TIMEOUT_HELP = 'seconds a starting server has to pass its health check before its engine restarts it, 1–600 (default 30; also 90s, 2m)';

/** The flag's value in whole milliseconds, 1 000–600 000. */
export function startTimeoutMs(v: string): number {
  const ms = durationMs(v, 's');
  if (ms === undefined) throw new CliError(`--start-timeout must be a number of seconds such as 90 (or 2m), got "${v}"`);
  if (ms < 1_000 || ms > MAX_START_TIMEOUT_MS) throw new CliError(`--start-timeout must be 1 to 600 seconds (10 minutes), got "${v}"`);
  return ms;
}
