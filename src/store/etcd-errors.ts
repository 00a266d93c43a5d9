// etcd's failures, as the Store's errors: callers branch on the same codes
// whatever backs the store.

import { CompactedError, LeaseNotFoundError, StoreError, StoreUnavailableError } from './errors.ts';

/** Map an etcd error to a StoreError where one fits; a StoreError and anything else pass through. */
export function storeError(err: unknown, ctx: { leaseId?: number; revision?: number } = {}): unknown {
  if (!(err instanceof Error) || err instanceof StoreError) return err;
  const msg = err.message;
  if (/requested lease not found/.test(msg)) return new LeaseNotFoundError(ctx.leaseId ?? 0);
  if (/required revision has been compacted/.test(msg)) return new CompactedError(ctx.revision ?? 0, 0);
  if (/unavailable|no connection|deadline exceeded|ECONNREFUSED|all hosts|circuit/i.test(msg) || err.name === 'GRPCUnavailableError') {
    return new StoreUnavailableError(msg, { cause: err });
  }
  return err;
}

/** Run an etcd call, rethrowing its failure as a StoreError. */
export async function mapped<T>(call: Promise<T>, ctx: { leaseId?: number; revision?: number } = {}): Promise<T> {
  try {
    return await call;
  } catch (err) {
    throw storeError(err, ctx);
  }
}
