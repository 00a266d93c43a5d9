// --max-starts for `corral up` and `corral engine`: how many virtual servers the engine
// starts at once (spawned, not yet ready); the rest wait as `queued`.
import { CliError } from '../errors.ts';

export const MAX_STARTS_HELP = 'most virtual servers starting at once on this engine; the rest wait as queued, first come first served (default: the cores, at least 2)';

/** The flag's value, 1–1024; undefined when not given (the engine's default). */
export function maxStarts(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = /^\d+$/.test(v.trim()) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > 1024) throw new CliError(`--max-starts must be a whole number from 1 to 1024, got "${v}"`);
  return n;
}
