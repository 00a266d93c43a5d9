// Checks for the records a router or an engine reads from the store, with the same
// schemas the API validates with (schemas.ts): a record written by an older Corral, by
// hand or by a bug is skipped by its reader, never allowed to crash it.

import { Compile } from 'typebox/compile';
import type { Static, TSchema } from 'typebox';
import type { Assignment, Balance, Route, RouteRetry } from './records.ts';
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
