// The route table: Host header → the site's route. buildRouteTable builds one whole from
// the route records; createRouteTable keeps one updated in place per site (a route write
// touches its own site's names only), with the same outcome. Updates are synchronous, so a
// lookup always sees one consistent table.
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
    lookup: buildLookup(exact, wildcard),
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

/** Exact name first, then the longest `*.suffix` above it. */
function buildLookup(exact: ReadonlyMap<string, Route>, wildcard: ReadonlyMap<string, Route>): RouteTable['lookup'] {
  return (host) => {
    const name = host === undefined ? undefined : normalizeHost(host);
    if (name === undefined) return undefined;
    const hit = exact.get(name);
    if (hit !== undefined || wildcard.size === 0) return hit;
    for (let dot = name.indexOf('.'); dot !== -1; dot = name.indexOf('.', dot + 1)) {
      const w = wildcard.get(name.slice(dot + 1));
      if (w !== undefined) return w;
    }
    return undefined;
  };
}

const HOSTNAME = /^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$/;

function parseDomain(domain: string): { name: string; wildcard: boolean } | undefined {
  const isWildcard = domain.startsWith('*.');
  const name = normalizeHost(isWildcard ? domain.slice(2) : domain);
  return name === undefined ? undefined : { name, wildcard: isWildcard };
}

/** Per-site changes to a route table: these sites' routes put (replaced whole), these sites removed. */
export interface RouteDiff {
  put: readonly Route[];
  remove: readonly string[];
}

/** The sites a diff removes and does not put back. */
export function droppedSites(diff: RouteDiff): string[] {
  const put = new Set(diff.put.map((r) => r.site));
  return diff.remove.filter((site) => !put.has(site));
}

/** A route table changed in place per site; lookups between two updates see one consistent table. */
export interface LiveRouteTable extends RouteTable {
  /** Apply a diff: a removed site loses its names, a put one claims its current ones. */
  update(diff: RouteDiff): void;
  /** The invalid domains of every site routed now. */
  readonly invalid: readonly InvalidDomain[];
  /** The conflicts and invalid domains of these sites (after an update: what to log for them). */
  problemsOf(sites: ReadonlySet<string>): { conflicts: DomainConflict[]; invalid: InvalidDomain[] };
}

/**
 * An empty table updated per site, with exactly buildRouteTable's outcome for the same set
 * of routes: a name claimed by two sites belongs to the first by site name, whatever the
 * order they came in, and passes to the next claimant when its owner leaves or drops it.
 */
export function createRouteTable(): LiveRouteTable {
  const exact = new Map<string, Route>();
  const wildcard = new Map<string, Route>();
  // each routable name (exact or wildcard) → the site claiming it, or every claimant when
  // several do (a conflict, rare): one map entry per name, nothing per claim
  const exactClaims = new Map<string, Claimants>();
  const wildcardClaims = new Map<string, Claimants>();
  const sites = new Map<string, Route>();
  const invalidOf = new Map<string, InvalidDomain[]>(); // only the sites that have any

  const claimsOf = (isWildcard: boolean) => (isWildcard ? wildcardClaims : exactClaims);
  const settle = (name: string, isWildcard: boolean): void => {
    const map = isWildcard ? wildcard : exact;
    const c = claimsOf(isWildcard).get(name);
    if (c === undefined) map.delete(name);
    else map.set(name, sites.get(typeof c === 'string' ? c : firstOf(c))!);
  };
  const drop = (site: string): void => {
    const had = sites.get(site);
    if (!had) return;
    sites.delete(site);
    invalidOf.delete(site);
    for (const domain of had.domains) {
      const parsed = parseDomain(domain);
      if (!parsed) continue;
      const claims = claimsOf(parsed.wildcard);
      const c = claims.get(parsed.name);
      if (c === undefined || (typeof c === 'string' ? c !== site : !c.includes(site))) continue; // named twice: gone already
      if (typeof c === 'string') claims.delete(parsed.name);
      else {
        c.splice(c.indexOf(site), 1);
        if (c.length === 1) claims.set(parsed.name, c[0]!);
      }
      settle(parsed.name, parsed.wildcard);
    }
  };
  const put = (route: Route): void => {
    drop(route.site);
    sites.set(route.site, route);
    for (const domain of route.domains) {
      const parsed = parseDomain(domain);
      if (!parsed) {
        const invalid = invalidOf.get(route.site);
        if (invalid) invalid.push({ site: route.site, domain });
        else invalidOf.set(route.site, [{ site: route.site, domain }]);
        continue;
      }
      const claims = claimsOf(parsed.wildcard);
      const c = claims.get(parsed.name);
      if (c === undefined) claims.set(parsed.name, route.site);
      else if (typeof c === 'string') {
        if (c === route.site) continue; // the same name twice in one route
        claims.set(parsed.name, [c, route.site]);
      } else if (!c.includes(route.site)) c.push(route.site);
      else continue;
      settle(parsed.name, parsed.wildcard);
    }
  };
  // a contested name: each other claimant's domains (as written) naming it
  const conflictsOf = (name: string, isWildcard: boolean, claimants: readonly string[], out: DomainConflict[], only?: string): void => {
    const kept = (isWildcard ? wildcard : exact).get(name)!.site;
    for (const site of claimants) {
      if (site === kept || (only !== undefined && only !== site && only !== kept)) continue;
      for (const domain of sites.get(site)!.domains) {
        const parsed = parseDomain(domain);
        if (parsed?.name === name && parsed.wildcard === isWildcard) out.push({ domain, kept, dropped: site });
      }
    }
  };
  const lookup = buildLookup(exact, wildcard);
  return {
    lookup,
    get size() {
      return exact.size + wildcard.size;
    },
    get conflicts() {
      const out: DomainConflict[] = [];
      for (const [claims, isWildcard] of [[exactClaims, false], [wildcardClaims, true]] as const) {
        for (const [name, c] of claims) if (typeof c !== 'string') conflictsOf(name, isWildcard, c, out);
      }
      return out;
    },
    get invalid() {
      return [...invalidOf.values()].flat();
    },
    update(diff) {
      for (const site of diff.remove) drop(site);
      for (const route of diff.put) put(route);
    },
    problemsOf(which) {
      const conflicts: DomainConflict[] = [];
      const invalid: InvalidDomain[] = [];
      for (const site of which) {
        const route = sites.get(site);
        if (!route) continue;
        invalid.push(...(invalidOf.get(site) ?? NONE));
        const seen = new Set<string>();
        for (const domain of route.domains) {
          const parsed = parseDomain(domain);
          if (!parsed) continue;
          const c = claimsOf(parsed.wildcard).get(parsed.name);
          const key = (parsed.wildcard ? '*.' : '') + parsed.name;
          if (c === undefined || typeof c === 'string' || seen.has(key)) continue;
          seen.add(key);
          conflictsOf(parsed.name, parsed.wildcard, c, conflicts, site);
        }
      }
      return { conflicts, invalid };
    },
  };
}

/** Who claims a name: one site, or each claiming site once (the first by name owns the name). */
type Claimants = string | string[];

function firstOf(sites: readonly string[]): string {
  let first = sites[0]!;
  for (const site of sites) if (site < first) first = site;
  return first;
}

const NONE: readonly InvalidDomain[] = [];
