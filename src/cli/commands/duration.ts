// Durations on the command line: a number with a unit ("500ms", "90s", "1.5m", "1h", "1d"),
// or a bare number in the flag's own unit (where it has one). Nothing around it: " 5 " is
// not a duration. Each flag says its range and its error.

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

export type DurationUnit = keyof typeof UNIT_MS;

/** Whole milliseconds, or undefined when `v` is not a number with one of `units` (nor a bare number, when `bare` names its unit). */
export function durationMs(v: string, bare: DurationUnit | undefined, units: readonly DurationUnit[] = ['ms', 's', 'm']): number | undefined {
  const m = /^(\d+(?:\.\d+)?)([a-z]*)$/.exec(v);
  if (!m) return undefined;
  const unit = m[2] === '' ? bare : (m[2] as DurationUnit);
  if (unit === undefined || (m[2] !== '' && !units.includes(unit))) return undefined;
  const ms = Number(m[1]) * UNIT_MS[unit];
  return Number.isSafeInteger(ms) ? ms : undefined;
}
