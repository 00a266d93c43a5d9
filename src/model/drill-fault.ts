// The record `corral drill` puts for an engine or controller to act out (keys.drill), and
// its check: the store is shared, so a reader trusts no record it has not checked.

import type { DrillFault } from './records.ts';

/** The longest fault a drill may ask for (the API refuses longer ones). */
export const MAX_DRILL_MS = 120_000;

/** A DrillFault, or undefined when the value is not one. */
export function parseDrillFault(value: string): DrillFault | undefined {
  let v: unknown;
  try {
    v = JSON.parse(value);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const f = v as Record<string, unknown>;
  if (typeof f.id !== 'string' || typeof f.fault !== 'string' || typeof f.at !== 'string') return undefined;
  if (typeof f.durationMs !== 'number' || !Number.isInteger(f.durationMs) || f.durationMs < 0 || f.durationMs > MAX_DRILL_MS) return undefined;
  if (f.vs !== undefined && typeof f.vs !== 'string') return undefined;
  return f as unknown as DrillFault;
}
