// Promise.all for steps that each leave something to undo: every promise settles before
// the first failure is thrown, so a teardown after it finds all that was made.

/** The values of ps in order, or the first rejection once all have settled. */
export async function allSettled<T extends readonly unknown[]>(ps: { [K in keyof T]: Promise<T[K]> }): Promise<T> {
  const results = await Promise.allSettled(ps);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return results.map((r) => (r as PromiseFulfilledResult<unknown>).value) as unknown as T;
}
