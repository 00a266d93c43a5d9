// Which sites have a timer running in the plan's memory (plan.ts PlanMemory), so the
// reconciler's tick plans those only instead of every site:
//   retiringSince (a server draining out)     → its site; a pool's → its customer
//   moves (a spread move being built)         → its site
//   poolLeaving (a site leaving a pool)       → the pool's customer
//   engineMissingSince (an engine gone)       → every site (the lost engine's servers are anyone's)
// An entry whose server or site is gone is forgotten here, as a full pass would
// (plan.ts forgetGone). Nothing due: the tick plans nothing.

import { siteStorageKey, type Assignment, type Site } from '../model/index.ts';
import type { PlanMemory, PlanOptions } from './plan.ts';

export type DueSites = NonNullable<PlanOptions['only']> | 'all' | undefined;

/** Whether any timer runs (cheap: checked on every tick before the farm is looked at). */
export function hasTimers(mem: PlanMemory): boolean {
  return mem.retiringSince.size + mem.engineMissingSince.size + mem.moves.size + (mem.poolLeaving?.size ?? 0) > 0;
}

/** The sites and customers a tick must plan for the timers in `mem` ('all': every site; undefined: none). */
export function dueSites(mem: PlanMemory, farm: { sites: readonly Site[]; assignments: readonly Assignment[] }): DueSites {
  if (mem.engineMissingSince.size > 0) return 'all';
  if (!hasTimers(mem)) return undefined;
  const byVs = new Map(farm.assignments.map((a) => [a.vs, a]));
  const sites = new Set<string>();
  const customers = new Set<string>();
  for (const vs of mem.retiringSince.keys()) {
    const a = byVs.get(vs);
    if (!a) mem.retiringSince.delete(vs);
    else if (a.pool) customers.add(a.customer);
    else sites.add(a.site);
  }
  for (const key of mem.poolLeaving?.keys() ?? []) {
    const pool = byVs.get(key.slice(0, key.indexOf('/')));
    if (pool) customers.add(pool.customer);
    else mem.poolLeaving?.delete(key);
  }
  if (mem.moves.size > 0) {
    const byKey = new Map(farm.sites.map((s) => [siteStorageKey(s), s.name]));
    for (const key of mem.moves.keys()) {
      const name = byKey.get(key);
      if (name !== undefined) sites.add(name);
      else mem.moves.delete(key);
    }
  }
  return sites.size + customers.size > 0 ? { sites, customers } : undefined;
}
