// Writing site records. A site and its domain claims (keys.domain(d) → {site, customer}) change in
// one transaction, so a domain has exactly one owner. Updates compare-and-swap on the
// site's modRevision and retry a few times when someone else wrote in between; they also
// check createRevision, so a site deleted and re-created meanwhile is not touched.
// A caller's check (the customer's server quota, routes/sites.ts) runs on every try with
// the site as it would be, and its guard joins the transaction.

import { keys, type Site } from '../model/index.ts';
import type { Compare, Store, TxnOp } from '../store/types.ts';
import { ConcurrentUpdateError, DomainTakenError, NameUnavailableError, NotFoundError } from './errors.ts';
import { readRecord, type Stored } from './records.ts';
import { releaseCounter } from './counter.ts';
import { guardDomains, type DomainClaim } from './domain-overlap.ts';
import type { WriteGuard } from './write-guard.ts';

const MAX_ATTEMPTS = 5;

/** A check of the site as it would be (and was, for an update), on every try; throws to refuse, or returns a guard for the transaction. */
export type SiteCheck = (next: Site, current?: Site) => Promise<WriteGuard | undefined>;

export async function createSite(store: Store, site: Site, check?: SiteCheck): Promise<Site> {
  const siteKey = keys.site(site.name);
  const domainKeys = site.domains.map(keys.domain);
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const guards = [await guardDomains(store, site.customer, site.domains), ...present(await check?.(site))];
    const res = await store.txn({
      compare: [
        { key: siteKey, target: 'create', op: '=', value: 0 },
        { key: keys.customer(site.customer), target: 'create', op: '>', value: 0 },
        ...domainKeys.map(unclaimed),
        ...guards.map((g) => g.compare),
      ],
      success: [{ type: 'put', key: siteKey, value: JSON.stringify(site) }, ...site.domains.map((d) => claim(d, site)), ...guards.map((g) => g.bump)],
      failure: [siteKey, keys.customer(site.customer), ...domainKeys].map((key): TxnOp => ({ type: 'get', key })),
    });
    if (res.succeeded) return site;
    const [existing, customer, ...domains] = res.gets;
    if (existing) throw new NameUnavailableError(site.name); // whoever holds it: the same answer
    if (!customer) throw new NotFoundError(`customer ${site.customer}`);
    const taken = domains.findIndex((kv) => kv !== undefined);
    if (taken >= 0) throw new DomainTakenError(site.domains[taken] ?? '?');
    // otherwise another site's domains (or what the check read) changed meanwhile: check again
  }
  throw new ConcurrentUpdateError(`site ${site.name}`);
}

/**
 * Replace the site with change(current), re-claiming domains that changed, together with
 * extraOps (e.g. a new release record) in the same transaction.
 */
export async function updateSite(store: Store, ref: Stored<Site>, change: (site: Site) => Site, extraOps: TxnOp[] = [], check?: SiteCheck): Promise<Site> {
  let current: Stored<Site> | undefined = ref;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    if (attempt > 0) current = await readRecord<Site>(store, ref.kv.key);
    if (!current || current.kv.createRevision !== ref.kv.createRevision) throw new NotFoundError(`site ${ref.value.name}`);
    const next = change(current.value);
    const added = next.domains.filter((d) => !current!.value.domains.includes(d));
    const removed = current.value.domains.filter((d) => !next.domains.includes(d));
    const guards = [...present(added.length ? await guardDomains(store, next.customer, added) : undefined), ...present(await check?.(next, current.value))];
    const res = await store.txn({
      compare: [unchanged(current), ...added.map(keys.domain).map(unclaimed), ...guards.map((g) => g.compare)],
      success: [
        { type: 'put', key: current.kv.key, value: JSON.stringify(next) },
        ...added.map((d) => claim(d, next)),
        ...guards.map((g) => g.bump),
        ...removed.map((d): TxnOp => ({ type: 'delete', key: keys.domain(d) })),
        ...extraOps,
      ],
      failure: [current.kv.key, ...added.map(keys.domain)].map((key): TxnOp => ({ type: 'get', key })),
    });
    if (res.succeeded) return next;
    const [site, ...domains] = res.gets;
    const taken = domains.findIndex((kv) => kv !== undefined);
    if (site?.modRevision === current.kv.modRevision && taken >= 0) throw new DomainTakenError(added[taken] ?? '?');
  }
  throw new ConcurrentUpdateError(`site ${ref.value.name}`);
}

/** Delete the site, release its domains, delete its release records, certificate and (a site with an id) release counter. */
export async function deleteSite(store: Store, ref: Stored<Site>): Promise<void> {
  let current: Stored<Site> | undefined = ref;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    if (attempt > 0) current = await readRecord<Site>(store, ref.kv.key);
    if (!current || current.kv.createRevision !== ref.kv.createRevision) throw new NotFoundError(`site ${ref.value.name}`);
    const res = await store.txn({
      compare: [unchanged(current)],
      success: [
        { type: 'delete', key: current.kv.key },
        ...current.value.domains.map((d): TxnOp => ({ type: 'delete', key: keys.domain(d) })),
        { type: 'deletePrefix', prefix: keys.siteReleases(current.value.name) },
        { type: 'delete', key: keys.certificate(current.value.name) },
        ...(current.value.id !== undefined ? [{ type: 'delete', key: keys.counter(releaseCounter(current.value)) } as TxnOp] : []),
      ],
    });
    if (res.succeeded) return;
  }
  throw new ConcurrentUpdateError(`site ${ref.value.name}`);
}

function unchanged(current: Stored<Site>): Compare {
  return { key: current.kv.key, target: 'mod', op: '=', value: current.kv.modRevision };
}

function unclaimed(key: string): Compare {
  return { key, target: 'create', op: '=', value: 0 };
}

function claim(domain: string, site: Site): TxnOp {
  const value: DomainClaim = { site: site.name, customer: site.customer };
  return { type: 'put', key: keys.domain(domain), value: JSON.stringify(value) };
}

function present<T>(x: T | undefined): T[] {
  return x === undefined ? [] : [x];
}
