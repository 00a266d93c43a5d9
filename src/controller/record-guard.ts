// The reconciler writes only records its readers can use. A site stored by an older
// Corral may hold a setting the shared schemas now refuse (a health path with a space,
// NUL in an env value); its route and new assignments would be skipped by every router
// and engine anyway. Here they are held back before the write instead, and the site's
// owner and the operator get one farm event per site and problem, naming the field.

import { assignmentCheck, routeCheck, type Assignment, type FarmEvent, type Route } from '../model/index.ts';
import type { PlanActions } from './plan.ts';

export interface RefusedRecord {
  kind: 'route' | 'assignment';
  site: string;
  customer?: string;
  problem: string;
}

/** The actions with every unusable route and assignment taken out, and what was taken out. */
export function guardActions(actions: PlanActions, customerOf: (site: string) => string | undefined): { actions: PlanActions; refused: RefusedRecord[] } {
  const refused: RefusedRecord[] = [];
  const create = actions.create.filter((a: Assignment) => {
    const problem = assignmentCheck.problem(a);
    if (problem !== undefined) refused.push({ kind: 'assignment', site: a.site, customer: a.customer, problem });
    return problem === undefined;
  });
  const putRoutes = actions.putRoutes.filter((r: Route) => {
    const problem = routeCheck.problem(r);
    const customer = customerOf(r.site);
    if (problem !== undefined) refused.push({ kind: 'route', site: r.site, ...(customer !== undefined ? { customer } : {}), problem });
    return problem === undefined;
  });
  return { actions: { ...actions, create, putRoutes }, refused };
}

/** Remembers what was reported, so each site's problem is one event, not one per pass. */
export function refusalReporter(): (refused: RefusedRecord[]) => Omit<FarmEvent, 'id' | 'at'>[] {
  const reported = new Set<string>();
  return (refused) => {
    const out: Omit<FarmEvent, 'id' | 'at'>[] = [];
    for (const r of refused) {
      const key = `${r.site}\u0000${r.kind}\u0000${r.problem}`;
      if (reported.has(key)) continue;
      reported.add(key);
      out.push({
        type: 'farm', action: 'site.bad_record', site: r.site, target: `site/${r.site}`, result: 'error',
        ...(r.customer !== undefined ? { customer: r.customer } : {}),
        message: `site ${r.site} is not ${r.kind === 'route' ? 'routed' : 'started'}: its ${r.kind} ${r.problem}; change that setting (corral site set) to fix it`,
      });
    }
    return out;
  };
}
