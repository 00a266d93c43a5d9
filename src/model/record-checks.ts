// Checks for the records a router or an engine reads from the store, with the same
// schemas the API validates with (schemas.ts): a record written by an older Corral, by
// hand or by a bug is skipped by its reader, never allowed to crash it.

import { Compile } from 'typebox/compile';
import type { Static, TSchema } from 'typebox';
import type { Assignment, Balance, Route, RouteRetry } from './records.ts';
import { parseShared } from './shared-strings.ts';
import { AssignmentRecord, Balance as BalanceSchema, patternHints, RouteRecord, RouteRetry as RouteRetrySchema } from './schemas.ts';

export interface RecordCheck<T> {
  /** The value is a record of this kind every reader can use. */
  is(value: unknown): value is T;
  /** Why it is not (the first problem, naming the field), or undefined when it is. */
  problem(value: unknown): string | undefined;
}

export const routeCheck: RecordCheck<Route> = recordCheck(RouteRecord);
export const assignmentCheck: RecordCheck<Assignment> = recordCheck(AssignmentRecord);
export const balanceCheck: RecordCheck<Balance> = recordCheck(BalanceSchema);
export const retryCheck: RecordCheck<RouteRetry> = recordCheck(RouteRetrySchema);

/** A setting a route record had that no router can use: dropped, so the router's default serves the site. */
export interface DroppedSetting {
  field: 'balance' | 'retry';
  value: unknown;
  problem: string;
}

/** A route record read: the route every reader can use, or why there is none (the site's name, if the record says it). */
export type RouteRead = { dropped: DroppedSetting[] } & ({ route: Route } | { route?: undefined; site?: string; problem: string });

/**
 * A route record as stored (JSON text), read the one way every reader reads it (the
 * router, `corral up`'s feed): a bad balance or retry setting is dropped rather than the
 * site; a record that still fails routeCheck is not a route.
 */
export function readRoute(json: string): RouteRead {
  let v: unknown;
  try {
    v = parseShared(json);
  } catch {
    return { dropped: [], problem: 'not JSON' };
  }
  const dropped: DroppedSetting[] = [];
  if (typeof v === 'object' && v !== null) {
    const r = v as Record<string, unknown>;
    for (const [field, check] of [['balance', balanceCheck], ['retry', retryCheck]] as const) {
      if (r[field] === undefined || check.is(r[field])) continue;
      dropped.push({ field, value: r[field], problem: check.problem(r[field]) ?? 'not valid' });
      delete r[field];
    }
  }
  if (routeCheck.is(v)) return { route: v, dropped };
  const site = (v as { site?: unknown } | null)?.site;
  return { dropped, ...(typeof site === 'string' ? { site } : {}), problem: routeCheck.problem(v) ?? 'not a valid record' };
}

// Each schema admits only values of its record type (records.ts): a check that passes is a true type guard.
type Admits<T, S extends T> = S;
export type SchemasMatchRecords = [
  Admits<Route, Static<typeof RouteRecord>>,
  Admits<Assignment, Static<typeof AssignmentRecord>>,
  Admits<Balance, Static<typeof BalanceSchema>>,
  Admits<RouteRetry, Static<typeof RouteRetrySchema>>,
];

function recordCheck<T>(schema: TSchema): RecordCheck<T> {
  const compiled = Compile(schema);
  return {
    is: (value: unknown): value is T => compiled.Check(value),
    problem(value) {
      if (compiled.Check(value)) return undefined;
      const [first] = compiled.Errors(value);
      if (!first) return 'not a valid record';
      const where = first.instancePath === '' ? 'the record' : first.instancePath;
      const pattern = first.keyword === 'pattern' ? patternHints[String((first.params as { pattern?: unknown }).pattern)] : undefined;
      return `${where} ${pattern ? `must be ${pattern}` : first.message}`;
    },
  };
}
