// Golden steps for a pass over some sites only (PlanOptions.only, the reconciler's dirty
// sites): on a settled farm of pooled and own-server sites of two customers, one site
// changes (replicas, release, deleted, created, pooled on/off, a server not ready), and
// at every step until the farm settles again, planning only that site gives exactly the
// actions of a full pass — and never reads the list of every site (it looks sites up in
// their index).

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { newMemory, planReconcile, type FarmSnapshot, type PlanActions, type PlanMemory } from './plan.ts';
import type { Release, Site, VsStatus } from '../model/index.ts';
import { SiteTable } from './site-index.ts';

const T0 = Date.parse('2026-01-01T00:00:00Z');

function site(name: string, customer: string, replicas: number, pooled: boolean): Site {
  return { name, customer, domains: [`${name}.test`], kind: 'static', replicas, healthPath: '/', env: {}, release: 'v1', drainTimeoutMs: 0, ...(pooled ? { pooled: true } : {}), createdAt: '', updatedAt: '' };
}

function release(s: string, id: string): Release {
  return { id, site: s, number: Number(id.slice(1)), sha256: id.repeat(8), size: 1, files: 1, unpackedBytes: 1, createdAt: '' };
}

class Farm {
  snap: FarmSnapshot;
  mem = newMemory();
  now = T0;
  seq = 0;
  constructor(sites: Site[]) {
    this.snap = {
      sites, releases: new Map(), assignments: [], statuses: new Map(), routes: new Map(),
      engines: ['e1', 'e2', 'e3'].map((id) => ({ id, runtime: 'process' as const, capacity: { cpus: 2, memoryMb: 1, maxVirtualServers: 50 }, startedAt: '' })),
    };
    for (const s of sites) this.addReleases(s.name);
  }
  addReleases(name: string): void {
    for (const r of ['v1', 'v2']) this.snap.releases.set(`${name}/${r}`, release(name, r));
  }
  /**
   * A pass over some sites gets the sites through their index (as the farm mirror keeps it)
   * and a list that throws when touched: it must not walk every site, so that it costs the
   * same at 10 sites as at 10,000.
   */
  plan(mem: PlanMemory, seq: number, only?: Dirty): { acts: PlanActions; seq: number } {
    let n = seq;
    const snap = only ? { ...this.snap, siteIndex: SiteTable.of(this.snap.sites), sites: unwalkable() } : this.snap;
    const acts = planReconcile(snap, mem, { now: this.now, drainDelayMs: 1000, engineLostGraceMs: 5000, newVsName: (s) => `${s}-${++n}`, ...(only ? { only } : {}) });
    return { acts, seq: n };
  }
  apply(acts: PlanActions): void {
    const gone = new Set([...acts.remove.map((r) => r.vs), ...acts.create.map((a) => a.vs)]);
    this.snap.assignments = this.snap.assignments.filter((a) => !gone.has(a.vs)).concat(acts.create);
    for (const r of acts.putRoutes) this.snap.routes.set(r.site, r);
    for (const r of acts.deleteRoutes) this.snap.routes.delete(r);
    const live = new Set(this.snap.assignments.map((a) => a.vs));
    for (const vs of [...this.snap.statuses.keys()]) if (!live.has(vs)) this.snap.statuses.delete(vs);
  }
  readyAll(): void {
    for (const a of this.snap.assignments) {
      const st: VsStatus = { vs: a.vs, engine: a.engine, site: a.site, release: a.release, state: 'ready', address: '10.0.0.1', port: 8000 + Number(a.vs.split('-').at(-1)), restarts: 0, updatedAt: '' };
      if (a.pool) st.sites = Object.fromEntries(a.pool.sites.map((e) => [e.site, e.release]));
      this.snap.statuses.set(a.vs, st);
    }
  }
  /**
   * One step of the full pass, applied; when `only` is given, a pass over those sites from
   * the same memory must agree, and what the step writes marks its sites and pools' customers
   * dirty (as the reconciler's watch would).
   */
  step(only?: Dirty): PlanActions {
    this.now += 1000;
    const before = structuredClone(this.mem);
    const full = this.plan(this.mem, this.seq);
    if (only) {
      const part = this.plan(before, this.seq, only);
      assert.deepStrictEqual(part.acts, full.acts, `a pass over ${[...only.sites].join(', ')} at ${this.now - T0} ms`);
      assert.deepStrictEqual(forgetGone(before, this.snap), this.mem, 'the same memory afterwards, but for what only a full pass forgets');
      const removed = new Set(full.acts.remove.map((r) => r.vs));
      for (const a of [...full.acts.create, ...this.snap.assignments.filter((x) => removed.has(x.vs))]) {
        if (a.pool) only.customers.add(a.customer);
        else only.sites.add(a.site);
      }
      for (const r of full.acts.putRoutes) only.sites.add(r.site);
    }
    this.seq = full.seq;
    this.apply(full.acts);
    return full.acts;
  }
  settle(only?: Dirty): void {
    for (let i = 0; i < 30; i++) {
      const acts = this.step(only);
      this.readyAll();
      if (acts.create.length + acts.remove.length + acts.putRoutes.length + acts.deleteRoutes.length === 0 && this.mem.retiringSince.size === 0 && this.mem.poolLeaving!.size === 0) return;
    }
    throw new Error('the farm never settled');
  }
}

/** A site list a pass over some sites must not read. */
function unwalkable(): Site[] {
  return new Proxy([], { get: (_t, p) => { throw new Error(`a pass over some sites read the list of every site (${String(p)})`); } });
}

/** What a full pass forgets of servers and sites that are gone (plan.ts forgetGone), which a partial pass keeps. */
function forgetGone(mem: PlanMemory, snap: FarmSnapshot): PlanMemory {
  const live = new Set(snap.assignments.map((a) => a.vs));
  const sites = new Set(snap.sites.map((s) => s.id ?? s.name));
  return {
    retiringSince: new Map([...mem.retiringSince].filter(([vs]) => live.has(vs))),
    engineMissingSince: mem.engineMissingSince,
    moves: new Map([...mem.moves].filter(([key]) => sites.has(key))),
    poolLeaving: new Map([...(mem.poolLeaving ?? [])].filter(([key]) => live.has(key.slice(0, key.indexOf('/'))))),
  };
}

interface Dirty { sites: Set<string>; customers: Set<string> }

type Change = 'replicas' | 'release' | 'delete' | 'create' | 'pooled' | 'not-ready';

function change(farm: Farm, kind: Change, target: string, replicas: number): string {
  const at = farm.snap.sites.findIndex((s) => s.name === target);
  const s = farm.snap.sites[at] as Site;
  const put = (next: Site): void => {
    farm.snap.sites = farm.snap.sites.map((x, i) => (i === at ? next : x));
  };
  switch (kind) {
    case 'replicas': put({ ...s, replicas }); return s.name;
    case 'release': put({ ...s, release: 'v2' }); return s.name;
    case 'pooled': put(s.pooled ? { ...s, pooled: false } : { ...s, pooled: true }); return s.name;
    case 'delete': farm.snap.sites = farm.snap.sites.filter((x) => x.name !== s.name); return s.name;
    case 'create': {
      const name = `new-${s.name}`;
      farm.addReleases(name);
      farm.snap.sites = [...farm.snap.sites, site(name, s.customer, replicas, s.pooled === true)];
      return name;
    }
    case 'not-ready': {
      const a = farm.snap.assignments.find((x) => x.site === s.name) ?? farm.snap.assignments.find((x) => x.pool && x.customer === s.customer);
      const st = a && farm.snap.statuses.get(a.vs);
      if (st) farm.snap.statuses.set(st.vs, { ...st, state: 'starting' });
      return s.name;
    }
  }
}

describe('planReconcile over some sites only', () => {
  it('gives a full pass’s actions at every step after one site changes (golden steps, property)', () => {
    const siteArb = fc.record({ customer: fc.constantFrom('acme', 'globex'), replicas: fc.integer({ min: 1, max: 3 }), pooled: fc.boolean() });
    fc.assert(fc.property(
      fc.array(siteArb, { minLength: 1, maxLength: 6 }),
      fc.nat(),
      fc.constantFrom<Change>('replicas', 'release', 'delete', 'create', 'pooled', 'not-ready'),
      fc.integer({ min: 0, max: 4 }),
      (specs, pick, kind, replicas) => {
        const farm = new Farm(specs.map((x, i) => site(`s${i}`, x.customer, x.replicas, x.pooled)));
        farm.settle();
        const target = (farm.snap.sites[pick % farm.snap.sites.length] as Site).name;
        const dirty = change(farm, kind, target, replicas);
        farm.settle({ sites: new Set([dirty]), customers: new Set() });
      },
    ), { numRuns: 150 });
  });

  it('leaves other customers’ servers, routes and pools alone', () => {
    const farm = new Farm([site('a', 'acme', 2, false), site('b', 'globex', 2, true), site('c', 'globex', 1, false)]);
    farm.settle();
    farm.snap.sites = farm.snap.sites.filter((s) => s.name !== 'b' && s.name !== 'a');
    farm.now += 1000;
    const { acts } = farm.plan(structuredClone(farm.mem), farm.seq, { sites: new Set(['a']), customers: new Set() });
    assert.deepStrictEqual(acts.deleteRoutes, ['a']);
    assert.ok(acts.create.every((a) => a.customer === 'acme') && acts.putRoutes.every((r) => r.site === 'a'), 'nothing of globex is planned');
  });
});
