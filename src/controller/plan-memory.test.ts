// Golden steps of memory as a placement rule through the plan (scheduler.ts, memory-room.ts):
// servers reserve their memory limits, a site that fits nowhere waits unplaced with why while
// a smaller one is placed; a site's memory raised past every engine leaves its next servers
// unplaced and the running ones serving; replacements after an engine's loss and spread
// moves go only where they fit; pooled static sites reserve what their pool gets, so 10,000
// of them (100 customers) fit one engine of this machine's size.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { FarmSnapshot } from './plan.ts';
import { planSteps } from './plan-testing.ts';
import { PoolFarm, pooledSite } from './plan-pool-testing.ts';
import { placeReplicas } from './scheduler.ts';
import { DEFAULT_MEMORY_OVERCOMMIT, defaultReservedMemoryMb, type EngineRecord, type Release, type Site } from '../model/index.ts';

const release: Release = { id: 'v1', site: 'shop', number: 1, sha256: 'a'.repeat(64), size: 1, files: 1, unpackedBytes: 1, createdAt: '' };

/** An engine offering `offersMb` to guests: its memory less a 1 GiB reserve, overcommit 1. */
const engine = (id: string, offersMb: number, over: Partial<EngineRecord['capacity']> = {}): EngineRecord => ({
  id, runtime: 'process', capacity: { cpus: 2, memoryMb: offersMb + 1024, maxVirtualServers: 50, reservedMemoryMb: 1024, memoryOvercommit: 1, ...over }, startedAt: '',
});

/** An app site of `memoryMb` per server (absent: the default limit). */
const site = (name: string, replicas: number, memoryMb?: number, over: Partial<Site> = {}): Site => ({
  name, id: `0${name}`, customer: 'acme', domains: [`${name}.test`], kind: 'app', command: 'node server.js', replicas,
  healthPath: '/', env: {}, release: 'v1', drainTimeoutMs: 0, createdAt: '', updatedAt: '',
  ...(memoryMb !== undefined ? { resources: { memoryMb } } : {}), ...over,
});

function farm(sites: Site[], engines: EngineRecord[]) {
  const snap: FarmSnapshot = {
    sites, releases: new Map(sites.flatMap((s) => ['v1', 'v2'].map((id) => [`${s.name}/${id}`, { ...release, id, site: s.name }] as const))), engines,
    assignments: [], statuses: new Map(), routes: new Map(),
  };
  const steps = planSteps(snap);
  /** `engine:site×n …`, sorted. */
  const placed = () => {
    const n = new Map<string, number>();
    for (const a of snap.assignments) n.set(`${a.engine}:${a.site}`, (n.get(`${a.engine}:${a.site}`) ?? 0) + 1);
    return [...n].map(([k, v]) => `${k}×${v}`).sort().join(' ');
  };
  const setSite = (name: string, over: Partial<Site>) => (snap.sites = snap.sites.map((s) => (s.name === name ? { ...s, ...over } : s)));
  const settle = () => {
    for (let i = 0; i < 20; i++) {
      steps.readyAll();
      const acts = steps.step(1000);
      if (acts.create.length + acts.remove.length + acts.putRoutes.length === 0) return;
    }
    throw new Error('never settled');
  };
  return { snap, ...steps, placed, setSite, settle, record: (name: string) => snap.unplaced?.get(name) };
}

describe('memory in the plan', () => {
  it('a site that fits nowhere waits with why, a smaller one is placed; room made: placed, the record gone', () => {
    const f = farm([site('small', 2, 512), site('mid', 2, 3840), site('big', 1, 4096)], [engine('e1', 6144), engine('e2', 6144)]);
    const acts = f.step();
    assert.equal(f.placed(), 'e1:mid×1 e1:small×1 e2:mid×1 e2:small×1');
    assert.deepEqual(acts.unplaced, [{ site: 'big', customer: 'acme', count: 1, reason: 'no engine has 4096 MiB free (most free: 1792 MiB on e1)' }]);

    f.setSite('mid', { replicas: 1 });
    f.settle();
    assert.equal(f.placed(), 'e1:mid×1 e1:small×1 e2:big×1 e2:small×1', "mid's server on e2 retired, big placed in its room");
    assert.equal(f.record('big'), undefined);
  });

  it("a site's memory raised past every engine: its next servers wait unplaced, the running ones serve on", () => {
    const f = farm([site('shop', 2, 512)], [engine('e1', 6144), engine('e2', 4096)]);
    f.settle();
    assert.deepEqual(f.snap.routes.get('shop')?.endpoints.length, 2);
    f.setSite('shop', { resources: { memoryMb: 8192 } });
    f.settle();
    assert.equal(f.record('shop'), undefined, 'running servers keep their limit until the next deploy');
    f.setSite('shop', { release: 'v2' });
    const acts = f.step(1000);
    assert.deepEqual(acts.unplaced, [{ site: 'shop', customer: 'acme', count: 2, reason: 'no engine is big enough for 8192 MiB (the largest, e1, takes 6144 MiB)' }]);
    f.settle();
    assert.deepEqual(f.snap.routes.get('shop')?.endpoints.map((e) => e.release), ['v1', 'v1'], 'the old release serves on');
  });

  it("an engine lost: its servers are replaced only where they fit; the rest wait with why", () => {
    const f = farm([site('shop', 2, 1024), site('blog', 1, 1024)], [engine('e1', 4096), engine('e2', 2048)]);
    f.settle();
    assert.equal(f.placed(), 'e1:blog×1 e1:shop×1 e2:shop×1', 'blog where most memory is left');
    f.snap.engines = [engine('e2', 2048)];
    f.step(1000);
    const replaced = f.step(5000);
    assert.deepEqual(replaced.create.map((a) => `${a.engine}:${a.site}`), ['e2:shop']);
    assert.deepEqual(replaced.unplaced, [{ site: 'blog', customer: 'acme', count: 1, reason: 'no engine has 1024 MiB free (most free: 0 MiB on e2)' }]);
  });

  it('a spread move never goes to an engine where the server does not fit', () => {
    const f = farm([site('shop', 2, 1024)], [engine('e1', 4096)]);
    f.settle();
    assert.equal(f.placed(), 'e1:shop×2');
    f.snap.engines.push(engine('e2', 512));
    assert.equal(f.step(1000).create.length, 0, 'e2 has no room for a 1024 MiB server: no move');
    assert.equal(f.record('shop'), undefined, 'nothing is unplaced: the site has its servers');
    f.snap.engines = [engine('e1', 4096), engine('e2', 1024)];
    assert.deepEqual(f.step(1000).create.map((a) => `${a.engine}:${a.site}`), ['e2:shop'], 'room enough: the move starts');
  });
});

describe('pooled static sites and memory', () => {
  it("reserve their pool's base, 128 MiB, whatever its sites; a new pool that does not fit waits, a site joining a pool in place fits", () => {
    // 600 MiB: four customers' pools of 3 sites (128 MiB each: 512), not a fifth (128 more)
    const sites = ['c0', 'c1', 'c2', 'c3', 'c4'].flatMap((c) => [1, 2, 3].map((i) => pooledSite(`${c}-s${i}`, { customer: c, replicas: 1 })));
    const f = new PoolFarm(sites, []);
    f.snap.engines = [engine('e1', 600)];
    const acts = f.step();
    assert.deepEqual(f.pools(false).map((p) => p.replace(/-\d+@/, '@')), ['pool-c0@e1[c0-s1 c0-s2 c0-s3]', 'pool-c1@e1[c1-s1 c1-s2 c1-s3]', 'pool-c2@e1[c2-s1 c2-s2 c2-s3]', 'pool-c3@e1[c3-s1 c3-s2 c3-s3]']);
    assert.deepEqual(acts.unplaced?.map((u) => `${u.site}: ${u.reason}`), ['c4-s1', 'c4-s2', 'c4-s3'].map((s) => `${s}: no engine has 128 MiB free (most free: 88 MiB on e1)`));
    // one more site in c0's pool reserves nothing more: it fits
    const more = new PoolFarm([...sites, pooledSite('c0-s4', { customer: 'c0', replicas: 1 })], []);
    more.snap.engines = [engine('e1', 600)];
    more.step();
    more.step(1000);
    assert.ok(more.pools(false).some((p) => p.includes('c0-s4')), 'a site joins its pool in place');
    assert.equal(more.snap.unplaced?.has('c0-s4'), false);
    assert.deepEqual([...more.snap.unplaced!.keys()].sort(), ['c4-s1', 'c4-s2', 'c4-s3']);
  });

  it('10,000 sites of 100 customers fit one engine of 24 GiB with the default reserve and overcommit, leaving room for 75 app servers', () => {
    const sites = Array.from({ length: 10_000 }, (_, i) => pooledSite(`s${i}`, { customer: `c${Math.floor(i / 100)}`, replicas: 1 }));
    const f = new PoolFarm(sites, []);
    const memoryMb = 24_576;
    f.snap.engines = [{ id: 'e1', runtime: 'process', capacity: { cpus: 2, memoryMb, maxVirtualServers: 10_000, reservedMemoryMb: defaultReservedMemoryMb(memoryMb), memoryOvercommit: DEFAULT_MEMORY_OVERCOMMIT }, startedAt: '' }];
    const acts = f.step();
    assert.equal(acts.unplaced, undefined, 'every site placed');
    const pools = f.snap.assignments.filter((a) => a.pool);
    assert.equal(pools.length, 100);
    assert.ok(pools.every((p) => p.engine === 'e1' && p.pool!.sites.length === 100));
    // 100 pools reserve 12,800 of the 32,133 MiB the engine offers ((24,576 − 3,154) × 1.5): 75 app servers of 256 MiB fit beside them
    assert.equal(placeReplicas({ site: 'app', count: 80, engines: f.snap.engines, assignments: f.snap.assignments, memoryMb: 256 }).length, 75);
    f.step(1000);
    assert.equal(f.snap.unplaced?.size ?? 0, 0, 'and still on the next pass, from the stored tables');
  });
});
