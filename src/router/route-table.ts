// The route table: Host header → the site's route. Built whole from the route records
// and swapped in one assignment, so a lookup always sees one consistent table.
//
// Matching: hosts are lowercased, the port and a trailing dot are dropped. An exact
// domain wins over any wildcard; `*.example.com` matches any name below example.com
// (one or more labels, not example.com itself), and the longest wildcard wins.
// There is no catch-all: an unknown host matches nothing.

import type { Route } from '../model/index.ts';

export interface RouteTable {
  /** The route serving this Host header value, if any. */
  lookup(host: string | undefined): Route | undefined;
  readonly size: number;
  /** Domains claimed by more than one site; the first site (by name) keeps them. */
  readonly conflicts: readonly DomainConflict[];
}

export interface DomainConflict {
  domain: string;
  kept: string;
  dropped: string;
}

/** Domains that cannot be routed: empty, bad characters, a bare or misplaced `*`. */
export interface InvalidDomain {
  site: string;
  domain: string;
}

export function buildRouteTable(routes: readonly Route[]): RouteTable & { invalid: InvalidDomain[] } {
  const exact = new Map<string, Route>();
  const wildcard = new Map<string, Route>();
  const conflicts: DomainConflict[] = [];
  const invalid: InvalidDomain[] = [];
  const sorted = [...routes].sort((a, b) => (a.site < b.site ? -1 : a.site > b.site ? 1 : 0));
  for (const route of sorted) {
    for (const domain of route.domains) {
      const parsed = parseDomain(domain);
      if (!parsed) {
        invalid.push({ site: route.site, domain });
        continue;
      }
      const map = parsed.wildcard ? wildcard : exact;
      const owner = map.get(parsed.name);
      if (owner === undefined) map.set(parsed.name, route);
      else if (owner !== route) conflicts.push({ domain, kept: owner.site, dropped: route.site });
    }
  }
  return {
    size: exact.size + wildcard.size,
    conflicts,
    invalid,
    lookup(host) {
      const name = host === undefined ? undefined : normalizeHost(host);
      if (name === undefined) return undefined;
      const hit = exact.get(name);
      if (hit !== undefined || wildcard.size === 0) return hit;
      for (let dot = name.indexOf('.'); dot !== -1; dot = name.indexOf('.', dot + 1)) {
        const w = wildcard.get(name.slice(dot + 1));
        if (w !== undefined) return w;
      }
      return undefined;
    },
  };
}

/** A Host header value as a routable name: lowercase, no port, no trailing dot; undefined if malformed. */
export function normalizeHost(host: string): string | undefined {
  let name = host;
  if (name.startsWith('[')) {
    const end = name.indexOf(']');
    if (end === -1) return undefined;
    const rest = name.slice(end + 1);
    if (rest !== '' && !/^:\d{1,5}$/.test(rest)) return undefined;
    name = name.slice(0, end + 1).toLowerCase();
    return /^\[[0-9a-f:.]+\]$/.test(name) ? name : undefined;
  }
  const colon = name.lastIndexOf(':');
  if (colon !== -1) {
    if (!/^\d{1,5}$/.test(name.slice(colon + 1))) return undefined;
    name = name.slice(0, colon);
  }
  if (name.endsWith('.')) name = name.slice(0, -1);
  name = name.toLowerCase();
  return HOSTNAME.test(name) ? name : undefined;
}

const HOSTNAME = /^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$/;

function parseDomain(domain: string): { name: string; wildcard: boolean } | undefined {
  const isWildcard = domain.startsWith('*.');
  const name = normalizeHost(isWildcard ? domain.slice(2) : domain);
  return name === undefined ? undefined : { name, wildcard: isWildcard };
}
