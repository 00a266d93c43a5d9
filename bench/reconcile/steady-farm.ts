// The controller benches' farm in steady state (reconcile.ts, controller-idle.ts): N static
// sites (site000000 …, each on its release r1) on a few engines, planned in memory by the
// plan's own actions (each pass's assignments applied, a put replacing the assignment of that
// name, every server ready, a pool showing the sites it is assigned), then written to the
// store, as the reconciler and the engines would leave it.
import { keys, type Release, type Site, type VsStatus } from '../../src/model/index.ts';
import type { Store, TxnOp } from '../../src/store/index.ts';
import { newMemory, planReconcile, type FarmSnapshot, type PlanActions, type PlanOptions } from '../../src/controller/plan.ts';
import { readSnapshot } from '../../src/controller/reconciler.ts';

export interface SteadyFarm {
  sites: number;
  /** Engines e1 … (2 CPUs, 64 GiB each). */
  engines: number;
  maxVirtualServers: number;
  /** Site number i's record (named `name`, on release r1, created `now`). */
  site(i: number, name: string, now: string): Site;
  plan: Omit<PlanOptions, 'now'>;
  /** Passes planned at most before the farm is written. */
  steps: number;
}

/** Fills the store with the farm in steady state; returns how many actions a pass over the store still plans (0: steady). */
export async function writeSteadyFarm(store: Store, farm: SteadyFarm): Promise<number> {
  const now = new Date().toISOString();
  const snap: FarmSnapshot = {
    sites: [], releases: new Map(), assignments: [], statuses: new Map(), routes: new Map(), scales: new Map(),
    engines: Array.from({ length: farm.engines }, (_, i) => ({ id: `e${i + 1}`, runtime: 'process' as const, capacity: { cpus: 2, memoryMb: 65536, maxVirtualServers: farm.maxVirtualServers }, startedAt: now })),
  };
  for (let i = 0; i < farm.sites; i++) {
    const name = `site${String(i).padStart(6, '0')}`;
    const release: Release = { id: 'r1', site: name, number: 1, sha256: 'ab'.repeat(32), size: 1, files: 1, unpackedBytes: 1, createdAt: now };
    snap.sites.push(farm.site(i, name, now));
    snap.releases.set(`${name}/r1`, release);
  }
  const mem = newMemory();
  let port = 10_000;
  for (let step = 0; step < farm.steps; step++) {
    const acts = planReconcile(snap, mem, { now: Date.now(), ...farm.plan });
    if (count(acts) === 0) break;
    const replaced = new Set(acts.create.map((a) => a.vs));
    snap.assignments = [...snap.assignments.filter((a) => !replaced.has(a.vs)), ...acts.create];
    for (const r of acts.putRoutes) snap.routes.set(r.site, r);
    for (const a of acts.create) {
      const old = snap.statuses.get(a.vs);
      const st: VsStatus = {
        vs: a.vs, engine: a.engine, site: a.site, release: a.release, state: 'ready', address: '127.0.0.1', port: old?.port ?? port++, restarts: 0, updatedAt: now,
        ...(a.pool ? { sites: Object.fromEntries(a.pool.sites.map((p) => [p.site, p.release])) } : {}),
      };
      snap.statuses.set(a.vs, st);
    }
  }
  const puts: TxnOp[] = [
    ...snap.engines.map((e) => put(keys.engine(e.id), e)),
    ...snap.sites.map((s) => put(keys.site(s.name), s)),
    ...[...snap.releases.values()].map((r) => put(keys.release(r.site, r.id), r)),
    ...snap.assignments.map((a) => put(keys.assignment(a.engine, a.vs), a)),
    ...[...snap.statuses.values()].map((s) => put(keys.vsStatus(s.engine, s.vs), s)),
    ...[...snap.routes.values()].map((r) => put(keys.route(r.site), r)),
  ];
  for (let i = 0; i < puts.length; i += 500) await store.txn({ compare: [], success: puts.slice(i, i + 500) });
  return count(planReconcile(await readSnapshot(store), newMemory(), { now: Date.now(), ...farm.plan }));
}

/** Site number i as the controller benches make it: static, pooled, on release r1, perCustomer sites to a customer (c0, c1, …), the first `autoscaled` autoscaling (min 1, max 3). */
export function pooledStaticSite(i: number, name: string, now: string, perCustomer: number, autoscaled = 0): Site {
  return {
    id: `id${i}`, name, customer: `c${Math.floor(i / perCustomer)}`, domains: [`${name}.bench.test`], kind: 'static', replicas: 1, healthPath: '/', env: {},
    release: 'r1', createdAt: now, updatedAt: now, pooled: true,
    ...(i < autoscaled ? { autoscale: { minReplicas: 1, maxReplicas: 3, targetConcurrency: 10 } } : {}),
  };
}

function count(acts: PlanActions): number {
  return acts.create.length + acts.remove.length + acts.putRoutes.length + acts.deleteRoutes.length;
}

function put(key: string, value: unknown): TxnOp {
  return { type: 'put', key, value: JSON.stringify(value) };
}
