// Deleting a customer: refused while it has sites unless cascading (then each site goes as
// DELETE /v1/sites/:name would); the customer record and every token of the customer go
// in one transaction (with its quota's version key), compared on the customer's revision.

import { keys, type Customer, type Site, type TokenRecord } from '../model/index.ts';
import type { Store, TxnOp } from '../store/types.ts';
import { ConcurrentUpdateError, CustomerHasSitesError, NotFoundError } from './errors.ts';
import { readRecord, type Stored } from './records.ts';
import { deleteSite } from './site-writes.ts';
import { quotaCounter } from './counter.ts';

/** Deletes the customer; returns the names of the sites deleted with it (cascade). */
export async function deleteCustomer(store: Store, customer: Stored<Customer>, opts: { cascade: boolean }): Promise<string[]> {
  const id = customer.value.id;
  const sites = (await store.range(keys.sites)).kvs.map((kv) => ({ kv, value: JSON.parse(kv.value) as Site })).filter((s) => s.value.customer === id);
  if (sites.length > 0 && !opts.cascade) {
    const names = sites.map((s) => s.value.name);
    throw new CustomerHasSitesError(id, `${names.length} site(s) (${names.slice(0, 5).join(', ')}${names.length > 5 ? ', …' : ''})`);
  }
  for (const site of sites) await deleteSite(store, site).catch(unlessGone);
  const tokens = (await store.range(keys.tokens)).kvs.filter((kv) => (JSON.parse(kv.value) as TokenRecord).customer === id);
  const current = await readRecord<Customer>(store, customer.kv.key);
  if (!current || current.kv.createRevision !== customer.kv.createRevision) throw new NotFoundError(`customer ${id}`);
  const res = await store.txn({
    compare: [{ key: current.kv.key, target: 'mod', op: '=', value: current.kv.modRevision }],
    success: [{ type: 'delete', key: current.kv.key }, { type: 'delete', key: keys.counter(quotaCounter(id)) }, ...tokens.map((kv): TxnOp => ({ type: 'delete', key: kv.key }))],
  });
  if (!res.succeeded) throw new ConcurrentUpdateError(`customer ${id}`);
  // a site created between the listing and the delete (no site can be created after: createSite
  // compares the customer's record) belongs to no one now: it goes too
  const late = (await store.range(keys.sites)).kvs.map((kv) => ({ kv, value: JSON.parse(kv.value) as Site })).filter((s) => s.value.customer === id);
  for (const site of late) await deleteSite(store, site).catch(unlessGone);
  return [...sites, ...late].map((s) => s.value.name);
}

/** A site deleted meanwhile is fine; any other failure is not. */
function unlessGone(err: unknown): void {
  if (!(err instanceof NotFoundError)) throw err;
}
