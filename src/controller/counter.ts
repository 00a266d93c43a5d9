// Per-name sequence numbers kept in the store (keys.counter), incremented by compare-and-swap.

import { keys, siteStorageKey, type Site } from '../model/index.ts';
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

/** The name of a site's release sequence: by its id (deleted with the site), or by name for a site without one (kept, so no release id of that name is reused). */
export function releaseCounter(site: Pick<Site, 'id' | 'name'>): string {
  return `releases/${siteStorageKey(site)}`;
}

/** The version key of a customer's server quota (routes/sites.ts; write-guard.ts); deleted with the customer. */
export function quotaCounter(customer: string): string {
  return `quota/${customer}`;
}
