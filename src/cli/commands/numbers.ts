// Numbers on the command line: plain decimal only. Number() alone also takes 0x10, 0b11,
// 0o7, 1e3, +5, 5.0, " 5 " and "" (as 0); every whole-number flag and argument of the CLI
// goes through wholeNumber, which refuses them all in one line naming the flag.
import { CliError } from '../errors.ts';

export interface WholeRule {
  /** Inclusive bounds (default 0 and Number.MAX_SAFE_INTEGER). */
  min?: number;
  max?: number;
  /** What the error says the value must be (default "a whole number", with the range when one is given). */
  expected?: string;
}

/** `v` as a whole number: decimal digits only, within the rule's range; else a CliError `<flag> must be <expected>, got "<v>"`. */
export function wholeNumber(v: string, flag: string, { min = 0, max = Number.MAX_SAFE_INTEGER, expected }: WholeRule = {}): number {
  const n = /^[0-9]+$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    const range = max < Number.MAX_SAFE_INTEGER ? ` from ${min} to ${max}` : min > 0 ? ` >= ${min}` : '';
    throw new CliError(`${flag} must be ${expected ?? `a whole number${range}`}, got "${v}"`);
  }
  return n;
}

/** `v` as a number when it is plain decimal with an optional fraction (12, 0.5, .5), else NaN: for seconds, cores and ratios. */
export function decimal(v: string): number {
  return /^(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$/.test(v) ? Number(v) : NaN;
}
