// Golden steps of a pooled static site scaling to zero and waking: at 0 its route is idle
// and its entries leave the pools (a pool left empty is deleted, as for a deleted site);
// a wake puts the entry back in the customer's pool that is still there (no new VS), and
// the route serves once the pool shows the site. Replicas are capped at one per engine.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Release, ScaleRecord, Site, VsStatus } from '../model/index.ts';
import { newMemory, planReconcile, type FarmSnapshot, type PlanActions } from './plan.ts';

const T0 = Date.parse('2026-01-01T00:00:00Z');

function site(name: string, over: Partial<Site> = {}): Site {
  return {
    name, id: `0${name}`, customer: 'acme', domains: [`${name}.test`], kind: 'static', replicas: 1, pooled: true,
    healthPath: '/', env: {}, release: 'v1', drainTimeoutMs: 0, createdAt: '', updatedAt: '', ...over,
  };
}
const zeroable = (name: string): Site => site(name, { autoscale: { minReplicas: 0, maxReplicas: 3, idleTimeoutMs: 60_000 } });
const scale = (s: string, replicas: number): ScaleRecord => ({ site: s, siteId: `0${s}`, replicas, reason: 'test', at: '', lastActiveAt: 0 });

/** A tiny farm applying plan actions; `ready` makes each VS ready, a pool showing the table it is assigned. */
class Farm {
  snap: FarmSnapshot;
  mem = newMemory();
  now = T0;
  seq = 0;
  constructor(sites: Site[], engines = ['e1']) {
    const releases = new Map<string, Release>(sites.map((s) => [`${s.name}/v1`, { id: 'v1', site: s.name, number: 1, sha256: 'a'.repeat(64), size: 1, files: 1, unpackedBytes: 1, createdAt: '' }]));
    this.snap = {
      sites, releases, assignments: [], statuses: new Map(), routes: new Map(), scales: new Map(),
      engines: engines.map((id) => ({ id, runtime: 'process', capacity: { cpus: 2, memoryMb: 1, maxVirtualServers: 50 }, startedAt: '' })),
    };
  }
  step(advanceMs = 0): PlanActions {
    this.now += advanceMs;
    const acts = planReconcile(this.snap, this.mem, { now: this.now, drainDelayMs: 1000, engineLostGraceMs: 5000, newVsName: (s) => `${s}-${++this.seq}` });
    const gone = new Set([...acts.remove.map((r) => r.vs), ...acts.create.map((a) => a.vs)]);
    this.snap.assignments = this.snap.assignments.filter((a) => !gone.has(a.vs)).concat(acts.create);
    for (const r of acts.putRoutes) this.snap.routes.set(r.site, r);
    for (const vs of [...this.snap.statuses.keys()]) if (!this.snap.assignments.some((a) => a.vs === vs)) this.snap.statuses.delete(vs);
    return acts;
  }
  ready(): void {
    for (const a of this.snap.assignments) {
      const st: VsStatus = { vs: a.vs, engine: a.engine, site: a.site, release: a.release, state: 'ready', address: '10.0.0.1', port: 8080, restarts: 0, updatedAt: '' };
      if (a.pool) st.sites = Object.fromEntries(a.pool.sites.map((e) => [e.site, e.release]));
      this.snap.statuses.set(a.vs, st);
    }
  }
  settle(): void {
    for (let i = 0; i < 20; i++) {
      this.ready();
      const acts = this.step(1000);
      if (acts.create.length + acts.remove.length + acts.putRoutes.length === 0 && this.mem.poolLeaving!.size === 0) return;
    }
    throw new Error('the farm never settled');
  }
  pools(): string[] {
    return this.snap.assignments.filter((a) => a.pool).map((a) => `${a.vs}@${a.engine}[${a.pool!.sites.map((e) => e.site).join(' ')}]`).sort();
  }
  route(s: string): { endpoints: string[]; idle: boolean } {
    const r = this.snap.routes.get(s);
    return { endpoints: (r?.endpoints ?? []).map((e) => e.vs), idle: r?.idle === true };
  }
}

describe('pooled static sites scaling to zero', () => {
  it('idle: the route is held at once, the entry leaves after the drain; a wake puts it back in the same pool', () => {
    const farm = new Farm([zeroable('aa'), site('bb')]);
    farm.settle();
    assert.deepEqual(farm.pools(), ['pool-acme-1@e1[aa bb]']);
    assert.deepEqual(farm.route('aa'), { endpoints: ['pool-acme-1'], idle: false });

    farm.snap.scales!.set('aa', scale('aa', 0));
    const acts = farm.step();
    assert.deepEqual(farm.route('aa'), { endpoints: [], idle: true }, 'out of the route at once: the routers hold its requests');
    assert.deepEqual(acts.create, [], 'the table keeps the entry while it drains');
    farm.step(1000);
    assert.deepEqual(farm.pools(), ['pool-acme-1@e1[bb]'], 'entry gone after the drain; the pool stays for bb');
    farm.settle();
    assert.deepEqual(farm.pools(), ['pool-acme-1@e1[bb]']);
    assert.deepEqual(farm.route('bb'), { endpoints: ['pool-acme-1'], idle: false }, 'bb never left its route');

    farm.snap.scales!.set('aa', scale('aa', 1));
    const wake = farm.step();
    assert.deepEqual(wake.create.map((a) => a.vs), ['pool-acme-1'], 'the wake changes the running pool\'s table: no new VS');
    assert.deepEqual(farm.pools(), ['pool-acme-1@e1[aa bb]']);
    assert.deepEqual(farm.route('aa'), { endpoints: [], idle: true }, 'held until the pool shows the site');
    farm.ready();
    farm.step();
    assert.deepEqual(farm.route('aa'), { endpoints: ['pool-acme-1'], idle: false });
  });

  it('the customer\'s only site idle: its pool is emptied, then deleted; a wake assigns a pool again', () => {
    const farm = new Farm([zeroable('aa')]);
    farm.settle();
    farm.snap.scales!.set('aa', scale('aa', 0));
    farm.step();
    farm.step(1000);
    assert.deepEqual(farm.pools(), ['pool-acme-1@e1[]'], 'emptied');
    const acts = farm.step(1000);
    assert.deepEqual(acts.remove.map((r) => r.vs), ['pool-acme-1'], 'deleted after the drain delay');
    assert.deepEqual(farm.pools(), []);
    assert.deepEqual(farm.route('aa'), { endpoints: [], idle: true });

    farm.snap.scales!.set('aa', scale('aa', 1));
    farm.step();
    assert.deepEqual(farm.pools(), ['pool-acme-2@e1[aa]']);
    farm.ready();
    farm.step();
    assert.deepEqual(farm.route('aa'), { endpoints: ['pool-acme-2'], idle: false });
  });

  it('scaled out past the engines: one entry per engine, routed as enough', () => {
    const farm = new Farm([zeroable('aa')], ['e1', 'e2']);
    farm.snap.scales!.set('aa', scale('aa', 3));
    farm.settle();
    assert.deepEqual(farm.pools(), ['pool-acme-1@e1[aa]', 'pool-acme-2@e2[aa]'], 'three wanted, two engines: one entry on each');
    assert.deepEqual(farm.route('aa'), { endpoints: ['pool-acme-1', 'pool-acme-2'], idle: false });
  });
});
