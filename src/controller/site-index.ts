// Sites by name, by storage key and by customer: what a pass over some sites (plan.ts,
// PlanOptions.only) looks up instead of walking every site, so that planning one changed
// site costs the same at 10 sites as at 10,000. The farm mirror keeps one and patches it
// with each site write (farm-mirror.ts); for a snapshot without one, the plan makes one
// from its sites.

import { siteStorageKey, type Site } from '../model/index.ts';
import { byUtf8 } from '../lib/text-order.ts';

export interface SiteIndex {
  /** False when two site records share a name or storage key (hand-written or restored data: the API never makes them): then only a pass over every site plans them right. */
  readonly exact: boolean;
  readonly byName: ReadonlyMap<string, Site>;
  /** By storage key (siteStorageKey: the site's id, or its name before ids). */
  readonly byKey: ReadonlyMap<string, Site>;
  /** Each customer's site names. */
  readonly byCustomer: ReadonlyMap<string, ReadonlySet<string>>;
}

/** A site index that can be patched record by record; `exact` is false once two records shared a name or key (then it is made afresh instead). */
export class SiteTable implements SiteIndex {
  readonly byName = new Map<string, Site>();
  readonly byKey = new Map<string, Site>();
  readonly byCustomer = new Map<string, Set<string>>();
  exact = true;

  static of(sites: readonly Site[]): SiteTable {
    const t = new SiteTable();
    for (const s of sites) {
      try {
        if (!t.add(s)) t.exact = false;
      } catch {
        t.exact = false; // not a site object
      }
    }
    return t;
  }

  /**
   * One site record written: `before` the record it replaced (undefined: none), `after`
   * the new one (undefined: deleted). False when it cannot be applied exactly (a record
   * not the one indexed, a name or key another record has): throw the index away.
   */
  patch(before: Site | undefined, after: Site | undefined): boolean {
    if (!this.exact) return false;
    try {
      if (before !== undefined && !this.remove(before)) return false;
      return after === undefined || this.add(after);
    } catch {
      return false; // a record that is not a site object (null, a number): made afresh
    }
  }

  private add(s: Site): boolean {
    const key = siteStorageKey(s);
    const clash = this.byName.has(s.name) || this.byKey.has(key);
    this.byName.set(s.name, s);
    this.byKey.set(key, s);
    let names = this.byCustomer.get(s.customer);
    if (!names) this.byCustomer.set(s.customer, (names = new Set()));
    names.add(s.name);
    return !clash;
  }

  private remove(s: Site): boolean {
    const key = siteStorageKey(s);
    if (this.byName.get(s.name) !== s || this.byKey.get(key) !== s) return false;
    this.byName.delete(s.name);
    this.byKey.delete(key);
    const names = this.byCustomer.get(s.customer);
    names?.delete(s.name);
    if (names?.size === 0) this.byCustomer.delete(s.customer);
    return true;
  }
}

/** The index of these sites: the snapshot's own (the farm mirror's), else one made now (every site once). */
export function siteIndexOf(snap: { sites: readonly Site[]; siteIndex?: SiteIndex }): SiteIndex {
  return snap.siteIndex ?? SiteTable.of(snap.sites);
}

/** These sites in the store's order (by key, so by name in UTF-8 order), as a snapshot lists them. */
export function inStoreOrder(sites: Site[]): Site[] {
  return sites.sort((a, b) => byUtf8(a.name, b.name));
}
