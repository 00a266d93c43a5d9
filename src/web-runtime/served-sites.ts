// The sites a web server serves right now: Host → site and each site's confined root,
// built once per configuration and swapped whole (a request reads the current one once).

import { siteRoot, type SiteRoot } from './confine.ts';
import type { WebSite } from './config.ts';
import { buildSiteTable, type SiteLookup } from './site-table.ts';

export interface ServedSites {
  readonly lookup: SiteLookup;
  readonly roots: ReadonlyMap<WebSite, SiteRoot>;
  /** Table mode: the table's version and each site's release (GET /.corral/sites). */
  readonly version?: number;
  readonly releases?: Readonly<Record<string, string>>;
}

/** `strict`: a lone site answers only its own domains (table mode), not any Host. */
export function servedSites(sites: readonly WebSite[], opts: { strict?: boolean; version?: number; releases?: Record<string, string> } = {}): ServedSites {
  return Object.freeze({
    lookup: buildSiteTable(sites, opts.strict),
    roots: new Map(sites.map((s) => [s, siteRoot(s.root)])),
    ...(opts.version !== undefined ? { version: opts.version, releases: Object.freeze({ ...opts.releases }) } : {}),
  });
}
