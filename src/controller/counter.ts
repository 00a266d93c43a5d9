// Per-name sequence numbers kept in the store (keys.counter), incremented by compare-and-swap.

import { keys } from '../model/index.ts';
import type { Store } from '../store/types.ts';
import { ConcurrentUpdateError } from './errors.ts';

const MAX_ATTEMPTS = 20;

/** The next number of the named sequence: 1, 2, 3 … never reused. */
export async function nextNumber(store: Store, name: string): Promise<number> {
  const key = keys.counter(name);
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const kv = await store.get(key);
    const next = (kv ? Number(JSON.parse(kv.value)) : 0) + 1;
    const res = await store.txn({
      compare: [{ key, target: 'mod', op: '=', value: kv?.modRevision ?? 0 }],
      success: [{ type: 'put', key, value: JSON.stringify(next) }],
    });
    if (res.succeeded) return next;
  }
  throw new ConcurrentUpdateError(`counter ${name}`);
}
