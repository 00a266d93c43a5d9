// Stepping the plan over a farm snapshot as the reconciler would, for golden-step tests
// (plan-database.test.ts, plan-database-engines.test.ts): each pass's new assignments
// added and removed ones dropped, its routes and unplaced records put or deleted; readyAll
// makes every assigned server ready.

import type { VsStatus } from '../model/index.ts';
import { newMemory, planReconcile, type FarmSnapshot, type PlanActions } from './plan.ts';

export function planSteps(snap: FarmSnapshot): { step(advanceMs?: number): PlanActions; readyAll(): void } {
  const mem = newMemory();
  let now = Date.parse('2026-01-01T00:00:00Z');
  let seq = 0;
  return {
    step(advanceMs = 0) {
      now += advanceMs;
      const acts = planReconcile(snap, mem, { now, drainDelayMs: 1000, engineLostGraceMs: 5000, newVsName: (s) => `${s}-${++seq}` });
      snap.assignments = snap.assignments.filter((a) => !acts.remove.some((r) => r.vs === a.vs)).concat(acts.create);
      for (const r of acts.putRoutes) snap.routes.set(r.site, r);
      for (const site of acts.deleteRoutes) snap.routes.delete(site);
      snap.unplaced ??= new Map();
      for (const r of acts.putUnplaced ?? []) snap.unplaced.set(r.site, r);
      for (const site of acts.deleteUnplaced ?? []) snap.unplaced.delete(site);
      return acts;
    },
    readyAll() {
      for (const a of snap.assignments) {
        const st: VsStatus = { vs: a.vs, engine: a.engine, site: a.site, release: a.release, state: 'ready', address: '127.0.0.1', port: 1, restarts: 0, updatedAt: '' };
        snap.statuses.set(a.vs, st);
      }
    },
  };
}
