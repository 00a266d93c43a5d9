// A guard for a check-then-write: the check reads a version key first, then what it
// checks; the write's transaction compares the key's revision and bumps it. Two writes that
// checked the same state cannot both commit: the second one's compare fails and it checks
// again. Domain claims (domain-overlap.ts) and a customer's server quota (routes/sites.ts)
// are guarded so.

import type { Compare, Store, TxnOp } from '../store/types.ts';

/** A compare and a put that make a transaction fail if another one carrying the same guard committed since the guard was read. */
export interface WriteGuard {
  compare: Compare;
  bump: TxnOp;
}

/**
 * The guard on a version key: read it before whatever the check reads, so that a write
 * committed after that read has bumped the key after it too, and the compare fails.
 */
export async function versionGuard(store: Store, key: string): Promise<WriteGuard> {
  const version = await store.get(key);
  return {
    compare: { key, target: 'mod', op: '=', value: version?.modRevision ?? 0 },
    bump: { type: 'put', key, value: String((version ? Number(version.value) : 0) + 1) },
  };
}

