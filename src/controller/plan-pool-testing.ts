// A tiny farm for the golden steps of pooled static hosting in the plan (plan-pool.test.ts,
// plan-pool-zero.test.ts, plan-unplaced.test.ts): it applies each pass's actions (a put
// replaces the assignment of that name; unplaced records put and deleted) and makes VSs ready the way their engines confirm them (a pool shows the table
// it is assigned).

import type { EngineRecord, Release, ScaleRecord, Site, VsStatus } from '../model/index.ts';
import { newMemory, planReconcile, type FarmSnapshot, type PlanActions } from './plan.ts';

const T0 = Date.parse('2026-01-01T00:00:00Z');

/** A pooled static site of customer acme on release v1 (replicas 2 unless `over` says). */
export function pooledSite(name: string, over: Partial<Site> = {}): Site {
  return {
    name, id: `0${name}`, customer: 'acme', domains: [`${name}.test`], kind: 'static', replicas: 2, pooled: true,
    healthPath: '/', env: {}, release: 'v1', drainTimeoutMs: 0, createdAt: '', updatedAt: '', ...over,
  };
}

function release(s: string, id: string): Release {
  return { id, site: s, number: Number(id.slice(1)), sha256: `${s}${id}`.padEnd(64, '0').replace(/[^0-9a-f]/g, 'a'), size: 1, files: 1, unpackedBytes: 1, createdAt: '' };
}

export function engine(id: string, over: Partial<EngineRecord> = {}): EngineRecord {
  return { id, runtime: 'process', capacity: { cpus: 2, memoryMb: 1, maxVirtualServers: 50 }, startedAt: '', ...over };
}

/** The autoscaler's record: the site at this many replicas. */
export function scaleTo(s: string, replicas: number): ScaleRecord {
  return { site: s, siteId: `0${s}`, replicas, reason: 'test', at: '', lastActiveAt: 0 };
}

export class PoolFarm {
  snap: FarmSnapshot;
  mem = newMemory();
  now = T0;
  seq = 0;

  /** Each site has releases v1, v2 and v3; no scale record yet. */
  constructor(sites: Site[], engines = ['e1', 'e2']) {
    const releases = new Map<string, Release>();
    for (const s of sites) for (const r of ['v1', 'v2', 'v3']) releases.set(`${s.name}/${r}`, release(s.name, r));
    this.snap = { sites, releases, engines: engines.map((e) => engine(e)), assignments: [], statuses: new Map(), routes: new Map(), scales: new Map() };
  }

  step(advanceMs = 0): PlanActions {
    this.now += advanceMs;
    const acts = planReconcile(this.snap, this.mem, { now: this.now, drainDelayMs: 1000, engineLostGraceMs: 5000, newVsName: (s) => `${s}-${++this.seq}` });
    const gone = new Set([...acts.remove.map((r) => r.vs), ...acts.create.map((a) => a.vs)]);
    this.snap.assignments = this.snap.assignments.filter((a) => !gone.has(a.vs)).concat(acts.create);
    for (const r of acts.putRoutes) this.snap.routes.set(r.site, r);
    for (const r of acts.deleteRoutes) this.snap.routes.delete(r);
    this.snap.unplaced ??= new Map();
    for (const r of acts.putUnplaced ?? []) this.snap.unplaced.set(r.site, r);
    for (const site of acts.deleteUnplaced ?? []) this.snap.unplaced.delete(site);
    for (const vs of [...this.snap.statuses.keys()]) if (!this.snap.assignments.some((a) => a.vs === vs)) this.snap.statuses.delete(vs);
    return acts;
  }

  /** The VS is ready; a pool shows the table it is assigned (what its engine confirms). */
  ready(...names: string[]): void {
    for (const vs of names) {
      const a = this.snap.assignments.find((x) => x.vs === vs)!;
      const st: VsStatus = { vs, engine: a.engine, site: a.site, release: a.release, state: 'ready', address: `10.0.0.${this.seq}`, port: 8080, restarts: 0, updatedAt: '' };
      if (a.pool) st.sites = Object.fromEntries(a.pool.sites.map((e) => [e.site, e.release]));
      this.snap.statuses.set(vs, st);
    }
  }

  readyAll(): void {
    this.ready(...this.snap.assignments.map((a) => a.vs));
  }

  /** `pool-acme-1@e1[a@v1 b@v1]` (withRelease) or `pool-acme-1@e1[a b]`, one per pool. */
  pools(withRelease = true): string[] {
    const entry = (e: { site: string; release: string }) => (withRelease ? `${e.site}@${e.release}` : e.site);
    return this.snap.assignments.filter((a) => a.pool).map((a) => `${a.vs}@${a.engine}[${a.pool!.sites.map(entry).join(' ')}]`).sort();
  }

  /** The VSs of the site's own (not pooled), `vs@release`. */
  servers(): string[] {
    return this.snap.assignments.filter((a) => !a.pool).map((a) => `${a.vs}@${a.release}`).sort();
  }

  /** The site's routed endpoints, `vs@release`. */
  routed(s: string): string[] {
    return (this.snap.routes.get(s)?.endpoints ?? []).map((e) => `${e.vs}@${e.release}`);
  }

  /** The site's route: its endpoints' VSs, and whether it is idle (scaled to zero). */
  route(s: string): { endpoints: string[]; idle: boolean } {
    const r = this.snap.routes.get(s);
    return { endpoints: (r?.endpoints ?? []).map((e) => e.vs), idle: r?.idle === true };
  }

  /** Ready every VS and step a second at a time until a pass changes nothing and nothing drains. */
  settle(): void {
    for (let i = 0; i < 50; i++) {
      this.readyAll();
      const acts = this.step(1000);
      if (acts.create.length + acts.remove.length + acts.putRoutes.length + acts.deleteRoutes.length === 0 && this.mem.retiringSince.size === 0 && this.mem.poolLeaving!.size === 0) return;
    }
    throw new Error('the farm never settled');
  }
}
