// Which sites a pool VS's status shows (pool-unit.ts): the controller routes a pooled site
// to a pool as soon as its status shows the site, so the status must never show a site the
// runtime may not serve. The runtime confirms a table version with its sites; tables written
// since may leave a site out (a site scaled to zero, removed, moved) and the runtime may load
// one of them at any moment. So a site is shown only if
//   - the runtime confirmed it (the served table), and
//   - no table written after the confirmed one left it out, and
//   - it is still assigned to the pool (a removal shows before any table without it).
// A site leaving is thus out of the status before the table without it is written; a site
// coming back is in it only once the runtime confirms a table with it.

import type { PoolSite } from '../model/index.ts';
import type { PoolTableFile } from './pool-dir.ts';

/** Record in leftOut (site → version) the sites of `before` that `next` leaves out. */
export function noteLeftOut(leftOut: Map<string, number>, before: PoolTableFile, next: PoolTableFile): void {
  const kept = new Set(next.sites.map((e) => e.site));
  for (const e of before.sites) if (!kept.has(e.site)) leftOut.set(e.site, next.version);
}

/** The served table's sites (site → release) that every later table kept and the pool is still assigned. */
export function shownSites(served: { version: number; sites: Record<string, string> }, leftOut: ReadonlyMap<string, number>, assigned: readonly PoolSite[]): Record<string, string> {
  const wanted = new Set(assigned.map((e) => e.site));
  return Object.fromEntries(Object.entries(served.sites).filter(([site]) => wanted.has(site) && (leftOut.get(site) ?? 0) <= served.version));
}
