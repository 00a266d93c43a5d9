import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_DRAIN_TIMEOUT_MS, SPREAD_MOVE_TIMEOUT_MS, newMemory, planReconcile, type FarmSnapshot, type PlanActions } from './plan.ts';
import type { Assignment, EngineRecord, Release, Route, Site, VsStatus } from '../model/index.ts';

const T0 = Date.parse('2026-01-01T00:00:00Z');

/** drainTimeoutMs 0: retired servers go after the farm's drain delay (1000 ms here) unless a test says otherwise. */
function site(over: Partial<Site> = {}): Site {
  return {
    name: 'blog', customer: 'acme', domains: ['blog.test'], kind: 'static', replicas: 2,
    healthPath: '/', env: {}, release: 'v1', drainTimeoutMs: 0, createdAt: '', updatedAt: '', ...over,
  };
}
function release(id: string): Release {
  return { id, site: 'blog', number: Number(id.slice(1)), sha256: id.repeat(8), size: 1, files: 1, unpackedBytes: 1, createdAt: '' };
}

/** A tiny farm that applies plan actions, so a rollout can be stepped through. */
class Farm {
  snap: FarmSnapshot;
  mem = newMemory();
  now = T0;
  seq = 0;
  constructor(s: Site) {
    this.snap = {
      sites: [s], releases: new Map([['blog/v1', release('v1')], ['blog/v2', release('v2')]]),
      engines: [{ id: 'e1', runtime: 'process', capacity: { cpus: 2, memoryMb: 1, maxVirtualServers: 50 }, startedAt: '' }],
      assignments: [], statuses: new Map(), routes: new Map(),
    };
  }
  step(advanceMs = 0): PlanActions {
    this.now += advanceMs;
    const acts = planReconcile(this.snap, this.mem, {
      now: this.now, drainDelayMs: 1000, engineLostGraceMs: 5000, newVsName: (s) => `${s}-${++this.seq}`,
    });
    this.snap.assignments = this.snap.assignments.filter((a) => !acts.remove.some((r) => r.vs === a.vs)).concat(acts.create);
    for (const r of acts.putRoutes) this.snap.routes.set(r.site, r);
    for (const r of acts.deleteRoutes) this.snap.routes.delete(r);
    return acts;
  }
  ready(...names: string[]): void {
    for (const vs of names) {
      const a = this.snap.assignments.find((x) => x.vs === vs)!;
      const st: VsStatus = { vs, engine: a.engine, site: a.site, release: a.release, state: 'ready', address: '127.77.0.1', port: 1000 + Number(vs.split('-')[1]), restarts: 0, updatedAt: '' };
      this.snap.statuses.set(vs, st);
    }
  }
  routed(): string[] {
    return (this.snap.routes.get('blog') as Route).endpoints.map((e) => `${e.vs}@${e.release}`);
  }
  assigned(): string[] {
    return this.snap.assignments.map((a: Assignment) => `${a.vs}@${a.release}`);
  }
  /** Replicas of the site per engine, e.g. `e1:2 e2:2`. */
  spread(): string {
    const n = new Map<string, number>();
    for (const a of this.snap.assignments) n.set(a.engine, (n.get(a.engine) ?? 0) + 1);
    return [...n].sort().map(([e, c]) => `${e}:${c}`).join(' ');
  }
  /** Every assigned server ready, then passes with time for drains, until nothing changes. */
  settle(): void {
    for (let i = 0; i < 50; i++) {
      this.ready(...this.snap.assignments.map((a) => a.vs));
      const acts = this.step(1000);
      if (acts.create.length + acts.remove.length + acts.putRoutes.length === 0 && this.mem.retiringSince.size === 0) return;
    }
    throw new Error('the farm never settled');
  }
}

function engine(id: string, over: Partial<EngineRecord> = {}): EngineRecord {
  return { id, runtime: 'process', capacity: { cpus: 2, memoryMb: 1, maxVirtualServers: 50 }, startedAt: '', ...over };
}

describe('planReconcile', () => {
  it('publishes the domains with no endpoints before the first release', () => {
    const farm = new Farm(site({ release: undefined }));
    const acts = farm.step();
    assert.equal(acts.create.length, 0);
    assert.deepEqual(acts.putRoutes[0]?.domains, ['blog.test']);
    assert.deepEqual(farm.routed(), []);
  });

  it("puts in the route the path the site's servers are checked on, for the router's probes", () => {
    assert.equal(new Farm(site()).step().putRoutes[0]?.healthPath, '/.corral/health');
    assert.equal(new Farm(site({ kind: 'app', command: 'node s.js', healthPath: 'healthz' })).step().putRoutes[0]?.healthPath, '/healthz');
  });

  it('rolls out: new servers first, route switches only when all are ready, old ones drain then go', () => {
    const farm = new Farm(site());
    farm.step();
    assert.deepEqual(farm.assigned(), ['blog-1@v1', 'blog-2@v1']);
    farm.ready('blog-1');
    farm.step();
    assert.deepEqual(farm.routed(), ['blog-1@v1'], 'first deploy serves what is ready');
    farm.ready('blog-2');
    farm.step();
    assert.deepEqual(farm.routed(), ['blog-1@v1', 'blog-2@v1']);

    farm.snap.sites[0] = site({ release: 'v2', previousRelease: 'v1' });
    farm.step();
    assert.deepEqual(farm.assigned(), ['blog-1@v1', 'blog-2@v1', 'blog-3@v2', 'blog-4@v2']);
    farm.ready('blog-3');
    farm.step();
    assert.deepEqual(farm.routed(), ['blog-1@v1', 'blog-2@v1'], 'still the old release while v2 is partly ready');
    farm.ready('blog-4');
    farm.step();
    assert.deepEqual(farm.routed(), ['blog-3@v2', 'blog-4@v2'], 'switched in one write');
    assert.equal(farm.assigned().length, 4, 'old servers are kept for the drain delay');
    farm.step(999);
    assert.equal(farm.assigned().length, 4);
    const acts = farm.step(1);
    assert.deepEqual(acts.remove.map((r) => r.vs).sort(), ['blog-1', 'blog-2']);
    assert.deepEqual(farm.assigned(), ['blog-3@v2', 'blog-4@v2']);
  });

  it("a site's start deadline goes with its servers, and a change of it rolls out new ones", () => {
    const farm = new Farm(site({ kind: 'app', command: 'java -jar app.jar', startTimeoutMs: 90_000 }));
    farm.settle();
    assert.deepEqual(farm.snap.assignments.map((a) => a.startTimeoutMs), [90_000, 90_000]);
    farm.snap.sites[0] = site({ kind: 'app', command: 'java -jar app.jar', startTimeoutMs: 180_000 });
    farm.settle();
    assert.deepEqual(farm.assigned(), ['blog-3@v1', 'blog-4@v1'], 'replaced');
    assert.deepEqual(farm.snap.assignments.map((a) => a.startTimeoutMs), [180_000, 180_000]);
  });

  it("a static site's spa goes with its servers, and a change of it rolls out new ones", () => {
    const farm = new Farm(site({ kind: 'static', spa: true }));
    farm.settle();
    assert.deepEqual(farm.snap.assignments.map((a) => a.spa), [true, true]);
    farm.snap.sites[0] = site({ kind: 'static' });
    farm.settle();
    assert.deepEqual(farm.assigned(), ['blog-3@v1', 'blog-4@v1'], 'replaced');
    assert.deepEqual(farm.snap.assignments.map((a) => a.spa), [undefined, undefined]);
  });

  it('takes a crashed server out of the route and puts it back when ready', () => {
    const farm = new Farm(site({ replicas: 3 }));
    farm.step();
    farm.ready('blog-1', 'blog-2', 'blog-3');
    farm.step();
    farm.snap.statuses.get('blog-2')!.state = 'crashed';
    farm.step();
    assert.deepEqual(farm.routed(), ['blog-1@v1', 'blog-3@v1']);
    assert.equal(farm.assigned().length, 3, 'a crashed server is restarted by its engine, not replaced');
    farm.ready('blog-2');
    farm.step();
    assert.equal(farm.routed().length, 3);
  });

  it('scales down by draining the extra servers', () => {
    const farm = new Farm(site({ replicas: 3 }));
    farm.step();
    farm.ready('blog-1', 'blog-2', 'blog-3');
    farm.step();
    farm.snap.sites[0] = site({ replicas: 1 });
    farm.step();
    assert.deepEqual(farm.routed(), ['blog-1@v1']);
    farm.step(1000);
    assert.deepEqual(farm.assigned(), ['blog-1@v1']);
  });

  it('removes everything of a deleted site', () => {
    const farm = new Farm(site());
    farm.step();
    farm.ready('blog-1', 'blog-2');
    farm.step();
    farm.snap.sites = [];
    const acts = farm.step();
    assert.deepEqual(acts.deleteRoutes, ['blog']);
    farm.step(1000);
    assert.deepEqual(farm.assigned(), []);
  });

  it('a site deleted and re-created under its name never gets the old servers: not routed, not kept, retired', () => {
    const farm = new Farm(site({ id: '0aaa' }));
    farm.step();
    farm.ready('blog-1', 'blog-2');
    farm.step();
    assert.deepEqual(farm.snap.assignments.map((a) => a.siteId), ['0aaa', '0aaa'], 'assignments carry the site id');
    // deleted, then at once a new site with the same name (another customer), release v2
    farm.snap.sites = [site({ id: '0bbb', customer: 'mallory', release: 'v2' })];
    const acts = farm.step();
    assert.deepEqual(acts.create.map((a) => `${a.vs}@${a.release}/${a.siteId}/${a.customer}`), ['blog-3@v2/0bbb/mallory', 'blog-4@v2/0bbb/mallory']);
    assert.deepEqual(farm.routed(), [], 'the old site\'s ready servers are not the new site\'s old release');
    farm.step(999);
    assert.deepEqual(farm.assigned(), ['blog-1@v1', 'blog-2@v1', 'blog-3@v2', 'blog-4@v2'], 'they drain like any retired server');
    const later = farm.step(1);
    assert.deepEqual(later.remove.map((r) => r.vs).sort(), ['blog-1', 'blog-2']);
    farm.ready('blog-3', 'blog-4');
    farm.step();
    assert.deepEqual(farm.routed(), ['blog-3@v2', 'blog-4@v2']);
  });

  it('a site without an id (older store) keeps its servers keyed by name', () => {
    const farm = new Farm(site());
    farm.step();
    assert.deepEqual(farm.snap.assignments.map((a) => a.siteId), [undefined, undefined]);
    farm.ready('blog-1', 'blog-2');
    farm.step();
    farm.snap.sites = [site({ replicas: 1 })];
    farm.step();
    farm.step(1000);
    assert.deepEqual(farm.assigned(), ['blog-1@v1'], 'scaled down, not replaced');
  });

  it('replaces servers of an engine that stayed gone past the grace', () => {
    const farm = new Farm(site());
    farm.step();
    farm.snap.engines = [{ id: 'e2', runtime: 'process', capacity: { cpus: 2, memoryMb: 1, maxVirtualServers: 50 }, startedAt: '' }];
    assert.equal(farm.step().remove.length, 0, 'within the grace nothing moves');
    const acts = farm.step(5000);
    assert.equal(acts.remove.length, 2);
    assert.deepEqual(acts.create.map((a) => a.engine), ['e2', 'e2']);
  });
  it('drains an engine: replacements elsewhere first, then the route switches, then the old ones retire', () => {
    const farm = new Farm(site());
    farm.snap.engines.push({ id: 'e2', runtime: 'process', capacity: { cpus: 2, memoryMb: 1, maxVirtualServers: 50 }, startedAt: '' });
    farm.step();
    farm.ready('blog-1', 'blog-2');
    farm.step();
    assert.deepEqual(farm.routed(), ['blog-1@v1', 'blog-2@v1']);
    const onE1 = farm.snap.assignments.filter((a) => a.engine === 'e1').map((a) => a.vs);
    assert.equal(onE1.length, 1, 'spread across engines');
    (farm.snap.engines[0] as { draining?: boolean }).draining = true;
    const acts = farm.step();
    assert.equal(acts.create.length, 1);
    assert.equal(acts.create[0]?.engine, 'e2', 'the replacement goes to the engine not draining');
    assert.equal(acts.remove.length, 0, 'nothing stops before its replacement is ready');
    assert.deepEqual(farm.routed(), ['blog-1@v1', 'blog-2@v1'], 'the draining server keeps serving meanwhile');
    farm.ready('blog-3');
    farm.step();
    assert.ok(!farm.routed().includes(`${onE1[0]}@v1`), 'out of the route once the replacement is ready');
    assert.equal(farm.routed().length, 2);
    farm.step(999);
    assert.ok(farm.assigned().includes(`${onE1[0]}@v1`), 'still up during the drain delay');
    const later = farm.step(1);
    assert.deepEqual(later.remove.map((r) => r.vs), onE1);
    assert.ok(farm.snap.assignments.every((a) => a.engine === 'e2'));
  });

  it('a drain with nowhere to go keeps the servers where they are', () => {
    const farm = new Farm(site());
    farm.step();
    farm.ready('blog-1', 'blog-2');
    farm.step();
    (farm.snap.engines[0] as { draining?: boolean }).draining = true;
    const acts = farm.step(5000);
    assert.equal(acts.create.length + acts.remove.length, 0);
    assert.deepEqual(farm.routed(), ['blog-1@v1', 'blog-2@v1']);
  });

  describe('drain timeout', () => {
    /** Two ready servers of v1 in the route, then the site as `over` says with release v2. */
    function deployed(over: Partial<Site>): Farm {
      const farm = new Farm(site(over));
      farm.step();
      farm.ready('blog-1', 'blog-2');
      farm.step();
      farm.snap.sites[0] = site({ ...over, release: 'v2', previousRelease: 'v1' });
      farm.step();
      return farm;
    }

    it('keeps the old servers for the site\'s drain timeout after the switch, not from the deploy', () => {
      const farm = deployed({ drainTimeoutMs: 4000 });
      farm.ready('blog-3');
      farm.step(10_000); // v2 is slow to start: the old servers serve meanwhile, no drain yet
      assert.deepEqual(farm.routed(), ['blog-1@v1', 'blog-2@v1']);
      farm.ready('blog-4');
      const switched = farm.step(1);
      assert.deepEqual(farm.routed(), ['blog-3@v2', 'blog-4@v2'], 'new connections go to v2');
      assert.equal(switched.putRoutes[0]?.drainTimeoutMs, 4000, 'the route tells the router how long to keep tunnels');
      assert.deepEqual(farm.step(3999).remove, [], 'still up (open connections kept) until the drain timeout');
      assert.deepEqual(farm.assigned(), ['blog-1@v1', 'blog-2@v1', 'blog-3@v2', 'blog-4@v2']);
      assert.deepEqual(farm.step(1).remove.map((r) => r.vs), ['blog-1', 'blog-2'], 'then stopped (SIGTERM by the engine)');
    });

    it('without a drain timeout the default applies; 0 means the farm\'s drain delay', () => {
      const farm = deployed({});
      delete farm.snap.sites[0]!.drainTimeoutMs;
      farm.ready('blog-3', 'blog-4');
      const switched = farm.step();
      assert.equal(switched.putRoutes[0]?.drainTimeoutMs, undefined, 'the router keeps its own tunnel grace');
      assert.deepEqual(farm.step(DEFAULT_DRAIN_TIMEOUT_MS - 1).remove, []);
      assert.equal(farm.step(1).remove.length, 2);

      const quick = deployed({ drainTimeoutMs: 0 });
      quick.ready('blog-3', 'blog-4');
      quick.step();
      assert.deepEqual(quick.step(999).remove, [], 'never less than the drain delay: in-flight requests finish');
      assert.equal(quick.step(1).remove.length, 2);
    });

    it('a rollback retires by the same rule', () => {
      const farm = deployed({ drainTimeoutMs: 3000 });
      farm.ready('blog-3', 'blog-4');
      farm.step();
      farm.step(3000);
      assert.deepEqual(farm.assigned(), ['blog-3@v2', 'blog-4@v2']);
      farm.snap.sites[0] = site({ drainTimeoutMs: 3000, release: 'v1', previousRelease: 'v2' });
      farm.step();
      farm.ready('blog-5', 'blog-6');
      farm.step();
      assert.deepEqual(farm.routed(), ['blog-5@v1', 'blog-6@v1']);
      assert.deepEqual(farm.step(2999).remove, []);
      assert.deepEqual(farm.step(1).remove.map((r) => r.vs), ['blog-3', 'blog-4']);
    });

    it('a scale-down retires by the same rule', () => {
      const farm = new Farm(site({ replicas: 3, drainTimeoutMs: 2500 }));
      farm.step();
      farm.ready('blog-1', 'blog-2', 'blog-3');
      farm.step();
      farm.snap.sites[0] = site({ replicas: 1, drainTimeoutMs: 2500 });
      farm.step();
      assert.deepEqual(farm.routed(), ['blog-1@v1']);
      assert.deepEqual(farm.step(2499).remove, []);
      assert.deepEqual(farm.step(1).remove.map((r) => r.vs), ['blog-2', 'blog-3']);
    });

    it('a drain timeout changed during a drain applies to the servers already draining', () => {
      const farm = deployed({ drainTimeoutMs: 60_000 });
      farm.ready('blog-3', 'blog-4');
      farm.step();
      assert.deepEqual(farm.step(2000).remove, []);
      farm.snap.sites[0] = site({ drainTimeoutMs: 1500, release: 'v2', previousRelease: 'v1' });
      assert.deepEqual(farm.step().remove.map((r) => r.vs), ['blog-1', 'blog-2'], 'out of the route for 2 s, more than the new 1.5 s');
    });

    it('a deleted site\'s servers go after the drain delay, whatever its drain timeout was', () => {
      const farm = new Farm(site({ drainTimeoutMs: 60_000 }));
      farm.step();
      farm.ready('blog-1', 'blog-2');
      farm.step();
      farm.snap.sites = [];
      farm.step();
      assert.equal(farm.step(1000).remove.length, 2);
    });
  });

  describe('spread', () => {
    /** `replicas` ready servers of v1, all on e1, in the route. */
    function stacked(replicas: number): Farm {
      const farm = new Farm(site({ replicas }));
      farm.step();
      farm.ready(...farm.snap.assignments.map((a) => a.vs));
      farm.step();
      assert.equal(farm.routed().length, replicas);
      return farm;
    }

    it('an engine joins: one move at a time, each built, swapped in, then the old one drained, until 2/2', () => {
      const farm = stacked(4);
      assert.equal(farm.spread(), 'e1:4');
      farm.snap.engines.push(engine('e2'));
      const built = farm.step();
      assert.deepEqual(built.create.map((a) => `${a.vs}@${a.release}/${a.engine}`), ['blog-5@v1/e2'], 'one new server, of the current release, on the new engine');
      assert.deepEqual(built.remove, []);
      assert.deepEqual(farm.routed(), ['blog-1@v1', 'blog-2@v1', 'blog-3@v1', 'blog-4@v1'], 'the route is untouched while it starts');
      const waiting = farm.step(30_000);
      assert.equal(waiting.create.length + waiting.remove.length + waiting.putRoutes.length, 0, 'one move in flight: nothing more, nothing retired');
      farm.ready('blog-5');
      const swapped = farm.step();
      assert.equal(swapped.putRoutes.length, 1, 'one route write');
      assert.deepEqual(farm.routed(), ['blog-1@v1', 'blog-2@v1', 'blog-3@v1', 'blog-5@v1'], 'the new one in, one of the crowded engine out');
      assert.deepEqual(swapped.create, [], 'no next move while one server drains');
      assert.deepEqual(farm.step(999).remove, [], 'the old one keeps its connections for the drain');
      const retired = farm.step(1);
      assert.deepEqual(retired.remove, [{ engine: 'e1', vs: 'blog-4' }]);
      assert.deepEqual(retired.create, [], 'the next move waits until the assignment is gone');
      assert.equal(farm.spread(), 'e1:3 e2:1');

      const second = farm.step();
      assert.deepEqual(second.create.map((a) => `${a.vs}/${a.engine}`), ['blog-6/e2'], 'the second move');
      farm.ready('blog-6');
      farm.step();
      assert.deepEqual(farm.routed(), ['blog-1@v1', 'blog-2@v1', 'blog-5@v1', 'blog-6@v1']);
      assert.deepEqual(farm.step(1000).remove.map((r) => r.vs), ['blog-3']);
      assert.equal(farm.spread(), 'e1:2 e2:2');
      for (let i = 0; i < 5; i++) {
        const acts = farm.step(SPREAD_MOVE_TIMEOUT_MS);
        assert.equal(acts.create.length + acts.remove.length + acts.putRoutes.length, 0, 'balanced: stays put');
      }
      assert.equal(farm.routed().length, 4, 'never fewer ready servers in the route than replicas');
    });

    it('an undrained engine gets its share back', () => {
      const farm = new Farm(site());
      farm.snap.engines.push(engine('e2'));
      farm.step();
      farm.ready('blog-1', 'blog-2');
      farm.step();
      farm.snap.engines[0] = engine('e1', { draining: true });
      farm.settle();
      assert.equal(farm.spread(), 'e2:2', 'drained away');
      farm.snap.engines[0] = engine('e1', { draining: false });
      const acts = farm.step();
      assert.deepEqual(acts.create.map((a) => a.engine), ['e1']);
      farm.settle();
      assert.equal(farm.spread(), 'e1:1 e2:1');
    });

    it('odd counts do not oscillate: 3 replicas on 2 engines stay 2/1', () => {
      const farm = stacked(3);
      farm.snap.engines.push(engine('e2'));
      assert.equal(farm.step().create.length, 1);
      farm.settle();
      assert.equal(farm.spread(), 'e1:2 e2:1');
      const before = farm.assigned();
      for (let i = 0; i < 10; i++) farm.settle();
      assert.deepEqual(farm.assigned(), before, 'the same servers, no move back and forth');
    });

    it('a single replica never moves', () => {
      const one = stacked(1);
      one.snap.engines.push(engine('e2'));
      one.settle();
      assert.equal(one.spread(), 'e1:1');
    });

    it('never moves during a rollout; a rollout started mid-move drops the move', () => {
      const farm = stacked(4);
      farm.snap.engines.push(engine('e2'));
      assert.equal(farm.step().create.length, 1, 'move started (blog-5 on e2)');
      farm.snap.sites[0] = site({ replicas: 4, release: 'v2', previousRelease: 'v1' });
      const deploy = farm.step();
      assert.deepEqual(deploy.create.map((a) => a.release), ['v2', 'v2', 'v2', 'v2'], 'the rollout only');
      assert.equal(farm.mem.moves.size, 0, 'the move is dropped');
      farm.ready('blog-6', 'blog-7', 'blog-8');
      for (let i = 0; i < 3; i++) {
        const acts = farm.step(SPREAD_MOVE_TIMEOUT_MS);
        assert.deepEqual(acts.create, [], 'no move while v2 is partly ready');
        assert.deepEqual(farm.routed(), ['blog-1@v1', 'blog-2@v1', 'blog-3@v1', 'blog-4@v1']);
      }
      farm.settle();
      assert.equal(farm.spread(), 'e1:2 e2:2', 'spread after the rollout');
      assert.ok(farm.snap.assignments.every((a) => a.release === 'v2'));
    });

    it('respects capacity: a full engine takes no more', () => {
      const farm = stacked(4);
      farm.snap.engines.push(engine('e2', { capacity: { cpus: 2, memoryMb: 1, maxVirtualServers: 1 } }));
      farm.settle();
      assert.equal(farm.spread(), 'e1:3 e2:1');
      farm.snap.engines.push(engine('e3'));
      farm.settle();
      assert.equal(farm.spread(), 'e1:2 e2:1 e3:1');
    });

    it('a new server that never gets ready is given up after the move timeout, and the move tried again', () => {
      const farm = stacked(2);
      farm.snap.engines.push(engine('e2'));
      assert.deepEqual(farm.step().create.map((a) => a.vs), ['blog-3']);
      assert.deepEqual(farm.step(SPREAD_MOVE_TIMEOUT_MS - 1).remove, []);
      farm.step(1);
      assert.deepEqual(farm.routed(), ['blog-1@v1', 'blog-2@v1']);
      assert.deepEqual(farm.step(1000).remove.map((r) => r.vs), ['blog-3'], 'retired, not the serving ones');
      assert.deepEqual(farm.step().create.map((a) => `${a.vs}/${a.engine}`), ['blog-4/e2'], 'tried again');
    });

    it('a scale-down on several engines keeps the spread', () => {
      const farm = stacked(4);
      farm.snap.engines.push(engine('e2'));
      farm.settle();
      assert.equal(farm.spread(), 'e1:2 e2:2');
      farm.snap.sites[0] = site({ replicas: 2 });
      farm.settle();
      assert.equal(farm.spread(), 'e1:1 e2:1');
    });
  });

  describe('a rollout that never gets ready', () => {
    /** v1 rolled out, then v2 swapped in: v1's servers (blog-1, blog-2) draining for `drainTimeoutMs`. */
    function v2Switched(drainTimeoutMs: number): Farm {
      const farm = new Farm(site({ drainTimeoutMs }));
      farm.snap.releases.set('blog/v3', release('v3'));
      farm.step();
      farm.ready('blog-1', 'blog-2');
      farm.step();
      farm.snap.sites[0] = site({ drainTimeoutMs, release: 'v2', previousRelease: 'v1' });
      farm.step();
      farm.ready('blog-3', 'blog-4');
      farm.step();
      assert.deepEqual(farm.routed(), ['blog-3@v2', 'blog-4@v2']);
      return farm;
    }

    it('a deploy started while the previous one\'s old servers drain never brings them back', () => {
      const farm = v2Switched(5000);
      farm.step(3000);
      farm.snap.sites[0] = site({ drainTimeoutMs: 5000, release: 'v3', previousRelease: 'v2' });
      const deploy = farm.step();
      assert.deepEqual(deploy.create.map((a) => `${a.vs}@${a.release}`), ['blog-5@v3', 'blog-6@v3']);
      assert.deepEqual(farm.routed(), ['blog-3@v2', 'blog-4@v2'], 'v2 serves on; the draining v1 stays out');
      assert.deepEqual(farm.step(1999).remove, []);
      assert.deepEqual(farm.step(1).remove.map((r) => r.vs), ['blog-1', 'blog-2'], 'v1 goes when its drain ends, though v3 is not ready');
      for (let i = 0; i < 5; i++) farm.step(60_000);
      assert.deepEqual(farm.routed(), ['blog-3@v2', 'blog-4@v2'], 'v3 never ready: v2, the release fully rolled out before, at full count');
      assert.deepEqual(farm.assigned(), ['blog-3@v2', 'blog-4@v2', 'blog-5@v3', 'blog-6@v3']);
    });

    it('a new leader (no memory) tells the draining servers from the serving ones by the route', () => {
      const farm = v2Switched(30_000);
      farm.snap.sites[0] = site({ drainTimeoutMs: 30_000, release: 'v3', previousRelease: 'v2' });
      farm.step();
      farm.mem = newMemory();
      farm.step();
      assert.deepEqual(farm.routed(), ['blog-3@v2', 'blog-4@v2']);
      assert.deepEqual(farm.step(29_999).remove, []);
      assert.deepEqual(farm.step(1).remove.map((r) => r.vs), ['blog-1', 'blog-2'], 'their drain starts over with the new leader');
    });

    it('a previous-release server that crashes comes back once ready; a rollback clears the failed one', () => {
      const farm = v2Switched(0);
      farm.snap.sites[0] = site({ release: 'v3', previousRelease: 'v2' });
      farm.step(1000);
      farm.snap.statuses.get('blog-3')!.state = 'crashed';
      farm.step();
      assert.deepEqual(farm.routed(), ['blog-4@v2']);
      farm.ready('blog-3');
      farm.step();
      assert.deepEqual(farm.routed(), ['blog-3@v2', 'blog-4@v2'], 'of the release serving: back in');
      farm.snap.sites[0] = site({ release: 'v2', previousRelease: 'v3' });
      farm.step();
      farm.step(1000);
      assert.deepEqual(farm.assigned(), ['blog-3@v2', 'blog-4@v2']);
      assert.deepEqual(farm.routed(), ['blog-3@v2', 'blog-4@v2']);
    });

    it('a new server crashing after the switch does not bring the old release back', () => {
      const farm = v2Switched(5000);
      farm.snap.statuses.get('blog-4')!.state = 'crashed';
      farm.step(1000);
      assert.deepEqual(farm.routed(), ['blog-3@v2'], 'what is ready of v2, not the draining v1');
      assert.deepEqual(farm.step(4000).remove.map((r) => r.vs), ['blog-1', 'blog-2'], 'and v1 still goes after its drain');
    });

    it('a release replaced before it was ready never serves: the one before it does', () => {
      const farm = new Farm(site());
      farm.snap.releases.set('blog/v3', release('v3'));
      farm.step();
      farm.ready('blog-1', 'blog-2');
      farm.step();
      farm.snap.sites[0] = site({ release: 'v2', previousRelease: 'v1' });
      farm.step();
      farm.snap.sites[0] = site({ release: 'v3', previousRelease: 'v2' });
      farm.step();
      assert.deepEqual(farm.assigned(), ['blog-1@v1', 'blog-2@v1', 'blog-3@v2', 'blog-4@v2', 'blog-5@v3', 'blog-6@v3']);
      farm.ready('blog-3', 'blog-4');
      farm.step();
      assert.deepEqual(farm.routed(), ['blog-1@v1', 'blog-2@v1'], 'v2 got ready after it was replaced: not mixed in');
      assert.deepEqual(farm.step(1000).remove.map((r) => r.vs), ['blog-3', 'blog-4']);
    });

    it('a config change started while the previous one drains keeps the last good config only', () => {
      const farm = new Farm(site({ drainTimeoutMs: 30_000 }));
      const env = () => farm.snap.assignments.filter((a) => farm.routed().includes(`${a.vs}@${a.release}`)).map((a) => JSON.stringify(a.env));
      farm.step();
      farm.ready('blog-1', 'blog-2');
      farm.step();
      farm.snap.sites[0] = site({ drainTimeoutMs: 30_000, env: { MY_STEP: '1' } });
      farm.step();
      farm.ready('blog-3');
      farm.step();
      assert.deepEqual(farm.routed(), ['blog-1@v1', 'blog-2@v1'], 'a new start is built, then swapped: not mixed in one by one');
      farm.ready('blog-4');
      farm.step();
      assert.deepEqual(farm.routed(), ['blog-3@v1', 'blog-4@v1']);
      farm.snap.sites[0] = site({ drainTimeoutMs: 30_000, env: { MY_STEP: '1', CRASH: '1' } });
      farm.step(4000);
      farm.step(60_000);
      assert.deepEqual(env(), ['{"MY_STEP":"1"}', '{"MY_STEP":"1"}']);
      assert.deepEqual(farm.routed(), ['blog-3@v1', 'blog-4@v1']);
      assert.deepEqual(farm.assigned(), ['blog-3@v1', 'blog-4@v1', 'blog-5@v1', 'blog-6@v1'], 'the first start drained out and went');
    });
  });
});
