// Domains of different customers must never overlap: the router prefers an exact host over
// a wildcard, so without this a customer could claim `shop.example.com` under another
// customer's `*.example.com` and take its traffic. Wildcards cover any depth below their
// base (`*.a.com` covers `x.a.com` and `y.x.a.com`, not `a.com`), as the router does.

import { keys } from '../model/index.ts';
import type { Compare, Store, TxnOp } from '../store/types.ts';
import { DomainTakenError } from './errors.ts';

/** One domain claim as stored at keys.domain(d). */
export interface DomainClaim {
  site: string;
  customer: string;
}

/** The key every claim-changing transaction compares and bumps, so overlap checks are atomic. */
const VERSION_KEY = keys.counter('domains');

export function domainsOverlap(a: string, b: string): boolean {
  if (a === b) return true;
  const base = (d: string) => (d.startsWith('*.') ? d.slice(2) : d);
  if (a.startsWith('*.') && base(b).endsWith(`.${base(a)}`)) return true;
  if (b.startsWith('*.') && base(a).endsWith(`.${base(b)}`)) return true;
  return false;
}

/**
 * Check that none of `domains` overlaps a domain of another customer, and return the
 * compare and put that make the caller's transaction fail if any claim changed meanwhile.
 */
export async function guardDomains(store: Store, customer: string, domains: string[]): Promise<{ compare: Compare; bump: TxnOp }> {
  const [version, claims] = await Promise.all([store.get(VERSION_KEY), store.range(keys.domains)]);
  for (const kv of claims.kvs) {
    const claimed = kv.key.slice(keys.domains.length);
    const owner = (JSON.parse(kv.value) as DomainClaim).customer;
    if (owner === customer) continue;
    const hit = domains.find((d) => d !== claimed && domainsOverlap(d, claimed));
    if (hit) throw new DomainTakenError(hit); // never names the other customer's claim
  }
  return {
    compare: { key: VERSION_KEY, target: 'mod', op: '=', value: version?.modRevision ?? 0 },
    bump: { type: 'put', key: VERSION_KEY, value: String((version ? Number(version.value) : 0) + 1) },
  };
}
