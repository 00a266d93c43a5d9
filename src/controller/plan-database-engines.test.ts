// Golden steps: a site bound to a database runs only on engines whose guests reach the
// database (EngineRecord.reachesDatabase: `corral up`'s engine, `corral engine --db` or
// `--db-forward-port`). With none, nothing is placed and the plan says why, once; an
// engine that reaches it joining gets the servers; servers on an engine that no longer
// reaches it are replaced on one that does, serving until their replacements are ready.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import type { FarmSnapshot } from './plan.ts';
import { planSteps } from './plan-testing.ts';
import type { EngineRecord, Release, Site } from '../model/index.ts';

const release: Release = { id: 'v1', site: 'shop', number: 1, sha256: 'a'.repeat(64), size: 1, files: 1, unpackedBytes: 1, createdAt: '' };
const login = { name: 'db_0123456789ab', user: 'db_0123456789ab_1', password: 'pw' };

const engine = (id: string, reaches: boolean): EngineRecord => ({
  id, runtime: 'process', capacity: { cpus: 2, memoryMb: 1, maxVirtualServers: 50 }, startedAt: '', ...(reaches ? { reachesDatabase: true } : {}),
});

const shop = (over: Partial<Site> = {}): Site => ({
  name: 'shop', customer: 'acme', domains: ['shop.test'], kind: 'app', command: 'node server.js', replicas: 3,
  healthPath: '/', env: {}, release: 'v1', database: 'orders', drainTimeoutMs: 0, createdAt: '', updatedAt: '', ...over,
});

function farm(sites: Site[], engines: EngineRecord[]) {
  const snap: FarmSnapshot = {
    sites, releases: new Map(sites.map((s) => [`${s.name}/v1`, { ...release, site: s.name }])), engines,
    assignments: [], statuses: new Map(), routes: new Map(), databases: new Map([['orders', { customer: 'acme', login }]]),
  };
  const { step, readyAll } = planSteps(snap);
  const where = (site = 'shop') => snap.assignments.filter((a) => a.site === site).map((a) => `${a.vs}@${a.engine}`);
  const routed = () => snap.routes.get('shop')?.endpoints.map((e) => e.vs) ?? [];
  return { snap, step, readyAll, where, routed };
}

it("a site bound to a database: every replica on the engine that reaches it; a site without one spreads over both", () => {
  const f = farm([shop(), shop({ name: 'blog', database: undefined, replicas: 2 })], [engine('e1', true), engine('e2', false)]);
  const acts = f.step();
  assert.deepEqual(f.where(), ['shop-1@e1', 'shop-2@e1', 'shop-3@e1']);
  assert.ok(f.snap.assignments.filter((a) => a.site === 'shop').every((a) => a.database?.user === login.user));
  assert.deepEqual(f.where('blog').map((w) => w.split('@')[1]).sort(), ['e1', 'e2']);
  assert.equal(acts.unplaced, undefined, 'all placed: nothing to say');

  // steady and unbalanced (3 on e1, 0 on e2), yet no spread move onto an engine that cannot reach the database
  f.readyAll();
  const later = f.step();
  assert.deepEqual(later.create, []);
  assert.deepEqual(f.routed(), ['shop-1', 'shop-2', 'shop-3']);
});

it('no engine reaches the database: nothing placed, the reason said once; an engine that reaches it joins: placed there', () => {
  const f = farm([shop()], [engine('e1', false), engine('e2', false)]);
  const first = f.step();
  assert.deepEqual(first.create, []);
  assert.deepEqual(first.unplaced, [{ site: 'shop', customer: 'acme', count: 3, reason: "no engine reaches the site's database (engines started with --db or --db-forward-port reach it)" }]);
  assert.equal(f.step(1000).unplaced, undefined, 'said once, not on every pass');

  f.snap.engines.push(engine('e3', true));
  const joined = f.step(1000);
  assert.deepEqual(f.where(), ['shop-1@e3', 'shop-2@e3', 'shop-3@e3']);
  assert.equal(joined.unplaced, undefined);

  // gone again (its servers dropped after the grace): said again
  f.snap.engines.pop();
  f.step(1000);
  const lost = f.step(5000);
  assert.deepEqual(f.where(), []);
  assert.equal(lost.unplaced?.[0]?.count, 3);
});

it('an engine restarted without the forward: its servers are replaced on one that reaches the database, then retired', () => {
  const f = farm([shop({ replicas: 2 })], [engine('e1', true), engine('e2', false)]);
  f.step();
  f.readyAll();
  f.step();
  assert.deepEqual(f.routed(), ['shop-1', 'shop-2']);

  // e1 comes back without the forward; e2 now has it
  f.snap.engines = [engine('e1', false), engine('e2', true)];
  f.step();
  assert.deepEqual(f.where(), ['shop-1@e1', 'shop-2@e1', 'shop-3@e2', 'shop-4@e2']);
  assert.deepEqual(f.routed(), ['shop-1', 'shop-2'], 'the old ones serve until their replacements are ready');
  f.readyAll();
  f.step();
  assert.deepEqual(f.routed(), ['shop-3', 'shop-4']);
  f.step(1500);
  assert.deepEqual(f.where(), ['shop-3@e2', 'shop-4@e2']);
});

it('no engine reaches the database any more: the servers stay where they are, routed, and the reason is said', () => {
  const f = farm([shop({ replicas: 2 })], [engine('e1', true)]);
  f.step();
  f.readyAll();
  f.step();
  f.snap.engines = [engine('e1', false)];
  const acts = f.step();
  assert.deepEqual(acts.create, []);
  assert.deepEqual(acts.remove, []);
  assert.equal(acts.unplaced?.[0]?.count, 2);
  f.step(60_000);
  assert.deepEqual(f.where(), ['shop-1@e1', 'shop-2@e1']);
  assert.deepEqual(f.routed(), ['shop-1', 'shop-2']);
});
