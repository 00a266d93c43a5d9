// --max-starts for `corral up` and `corral engine`: how many virtual servers the engine
// starts at once (spawned, not yet ready); the rest wait as `queued`.
import { wholeNumber } from './numbers.ts';

export const MAX_STARTS_HELP = 'most virtual servers starting at once on this engine; the rest wait as queued, first come first served (default: the cores, at least 2)';

/** The flag's value, 1–1024; undefined when not given (the engine's default). */
export function maxStarts(v: string | undefined): number | undefined {
  return v === undefined ? undefined : wholeNumber(v, '--max-starts', { min: 1, max: 1024 });
}
