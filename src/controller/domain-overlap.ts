// Domains of different customers must never overlap: the router prefers an exact host over
// a wildcard, so without this a customer could claim `shop.example.com` under another
// customer's `*.example.com` and take its traffic. Wildcards cover any depth below their
// base (`*.a.com` covers `x.a.com` and `y.x.a.com`, not `a.com`), as the router does.
//
// And a name claimed by one customer holds the names below it: no other customer may
// claim `evil.app.example.com` (a look-alike of the owner's, which would also keep the
// owner from its own `*.app.example.com` later) or `*.app.example.com` once another has
// `app.example.com`. Claims are first come, first served: without a DNS check, a name no
// one holds yet is anyone's (the operator reserves the farm's own, domain-rules.ts).

import { keys } from '../model/index.ts';
import type { Store } from '../store/types.ts';
import { DomainTakenError } from './errors.ts';
import { versionGuard, type WriteGuard } from './write-guard.ts';

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

/** May one customer claim `asked` while another holds `claimed` (a different name)? */
export function claimConflicts(asked: string, claimed: string): boolean {
  return domainsOverlap(asked, claimed) || below(asked, claimed);
}

/** Is every name `asked` stands for below the plain name `claimed`? */
function below(asked: string, claimed: string): boolean {
  if (claimed.startsWith('*.')) return false; // a wildcard's names: domainsOverlap
  if (asked.startsWith('*.')) return asked.slice(2) === claimed || asked.endsWith(`.${claimed}`);
  return asked.endsWith(`.${claimed}`);
}

/**
 * Check that none of `domains` conflicts with a domain of another customer (claimConflicts), and return the
 * compare and put that make the caller's transaction fail if any claim changed meanwhile.
 */
export async function guardDomains(store: Store, customer: string, domains: string[]): Promise<WriteGuard> {
  const guard = await versionGuard(store, VERSION_KEY); // first: a claim written after the reads below bumped it after this read
  const claims = await overlapCandidates(store, domains);
  for (const kv of claims) {
    const claimed = kv.key.slice(keys.domains.length);
    const owner = (JSON.parse(kv.value) as DomainClaim).customer;
    if (owner === customer) continue;
    const hit = domains.find((d) => d !== claimed && claimConflicts(d, claimed));
    if (hit) throw new DomainTakenError(hit); // never names the other customer's claim
  }
  return guard;
}

/**
 * The claims that could conflict with `domains` (besides each name itself, which the claim's
 * own key guards). A plain name can only fall under a wildcard or a name on one of its proper
 * suffixes: a few point reads, however many sites the farm has. A wildcard can cover names at
 * any depth below its base, so it reads every claim (wildcards are rare).
 */
async function overlapCandidates(store: Store, domains: string[]): Promise<{ key: string; value: string }[]> {
  if (domains.some((d) => d.startsWith('*.'))) return (await store.range(keys.domains)).kvs;
  const above = new Set<string>();
  for (const d of domains) {
    const labels = d.split('.');
    for (let i = 1; i < labels.length; i++) {
      const suffix = labels.slice(i).join('.');
      above.add(`*.${suffix}`).add(suffix);
    }
  }
  const found = await Promise.all([...above].map((name) => store.get(keys.domain(name))));
  return found.filter((kv) => kv !== undefined);
}
