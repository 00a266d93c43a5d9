// Host header → site. Exact match on the host name (port stripped, case-insensitive,
// trailing dot ignored), then a "*.parent" domain for any name below parent (as the
// router matches). A lone site is served for any Host, unless strict (table mode).

import type { WebSite } from './config.ts';

export type SiteLookup = (hostHeader: string | undefined) => WebSite | undefined;

export function buildSiteTable(sites: readonly WebSite[], strict = false): SiteLookup {
  const only = sites.length === 1 && !strict ? sites[0] : undefined;
  if (only) return () => only;
  const byDomain = new Map<string, WebSite>();
  let wildcards = false;
  for (const site of sites) {
    for (const d of site.domains) {
      byDomain.set(d, site);
      if (d.startsWith('*.')) wildcards = true;
    }
  }
  return (hostHeader) => {
    if (hostHeader === undefined) return undefined;
    const name = hostName(hostHeader);
    const hit = byDomain.get(name);
    if (hit !== undefined || !wildcards) return hit;
    // "*.example.com" answers any name below example.com, as the router routes it
    for (let dot = name.indexOf('.'); dot !== -1; dot = name.indexOf('.', dot + 1)) {
      const w = byDomain.get(`*${name.slice(dot)}`);
      if (w !== undefined) return w;
    }
    return undefined;
  };
}

/** The host name of a Host header: "Example.COM:8080" → "example.com", "[::1]:80" → "[::1]". */
export function hostName(hostHeader: string): string {
  const h = hostHeader.trim().toLowerCase();
  const name = h.startsWith('[') ? h.slice(0, h.indexOf(']') + 1) : h.replace(/:\d*$/, '');
  return name.replace(/\.$/, '');
}
