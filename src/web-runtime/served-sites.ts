// The sites a web server serves right now: Host → site, each site's confined root and its
// redirects, built once per configuration and swapped whole (a request reads the current one
// once). A site's `_redirects` is read when the set is built (site-redirects.ts), and a new set
// takes the rules of the one before for a root it already had (a release's root never changes).

import { silentLogger, type Logger } from '../lib/log.ts';
import { siteRoot, type SiteRoot } from './confine.ts';
import type { WebSite } from './config.ts';
import { loadRedirects, type SiteRedirects } from './site-redirects.ts';
import { buildSiteTable, type SiteLookup } from './site-table.ts';

export interface ServedSites {
  readonly lookup: SiteLookup;
  readonly roots: ReadonlyMap<WebSite, SiteRoot>;
  /** Each site's `_redirects` rules, being read or read. */
  readonly redirects: ReadonlyMap<WebSite, SiteRedirects>;
  /** Table mode: the table's version and each site's release (GET /.corral/sites). */
  readonly version?: number;
  readonly releases?: Readonly<Record<string, string>>;
}

export interface ServedSitesOptions {
  /** A lone site answers only its own domains (table mode), not any Host. */
  strict?: boolean;
  version?: number;
  releases?: Record<string, string>;
  /** The set this one replaces: its rules are kept for the roots both have. */
  previous?: ServedSites;
  log?: Logger;
}

export function servedSites(sites: readonly WebSite[], opts: ServedSitesOptions = {}): ServedSites {
  const log = opts.log ?? silentLogger;
  const before = new Map<string, SiteRedirects>();
  for (const [site, rules] of opts.previous?.redirects ?? []) before.set(site.root, rules);
  return Object.freeze({
    lookup: buildSiteTable(sites, opts.strict),
    roots: new Map(sites.map((s) => [s, siteRoot(s.root)])),
    redirects: new Map(sites.map((s) => [s, before.get(s.root) ?? loadRedirects(s.root, log)])),
    ...(opts.version !== undefined ? { version: opts.version, releases: Object.freeze({ ...opts.releases }) } : {}),
  });
}
