// Golden steps: servers the plan cannot place are kept, with why, in the site's unplaced
// record (put only when the count or the reason changes, deleted once all are placed), and
// a site that had none is named once in `unplaced` (the `site.unplaced` event), whatever
// the reason: no engine, every engine draining or at its most virtual servers, none
// reaching the site's database (plan-database-engines.test.ts too), a pooled site's too.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import type { FarmSnapshot } from './plan.ts';
import { planSteps } from './plan-testing.ts';
import { PoolFarm, pooledSite } from './plan-pool-testing.ts';
import type { EngineRecord, Release, Site } from '../model/index.ts';

const release: Release = { id: 'v1', site: 'shop', number: 1, sha256: 'a'.repeat(64), size: 1, files: 1, unpackedBytes: 1, createdAt: '' };
const login = { name: 'db_0123456789ab', user: 'db_0123456789ab_1', password: 'pw' };
const T0 = '2026-01-01T00:00:00.000Z';

const engine = (id: string, maxVirtualServers = 50, over: Partial<EngineRecord> = {}): EngineRecord => ({
  id, runtime: 'process', capacity: { cpus: 2, memoryMb: 1, maxVirtualServers }, startedAt: '', ...over,
});

const site = (name: string, over: Partial<Site> = {}): Site => ({
  name, id: `0${name}`, customer: 'acme', domains: [`${name}.test`], kind: 'app', command: 'node server.js', replicas: 2,
  healthPath: '/', env: {}, release: 'v1', drainTimeoutMs: 0, createdAt: '', updatedAt: '', ...over,
});

function farm(sites: Site[], engines: EngineRecord[]) {
  const snap: FarmSnapshot = {
    sites, releases: new Map(sites.map((s) => [`${s.name}/v1`, { ...release, site: s.name }])), engines,
    assignments: [], statuses: new Map(), routes: new Map(), databases: new Map([['orders', { customer: 'acme', login }]]),
  };
  const steps = planSteps(snap);
  const record = (name: string) => snap.unplaced?.get(name);
  const setSite = (name: string, over: Partial<Site>) => (snap.sites = snap.sites.map((s) => (s.name === name ? { ...s, ...over } : s)));
  return { snap, ...steps, record, setSite };
}

it('no engine is up: every server unplaced, said once; an engine joins: placed, the record deleted', () => {
  const f = farm([site('shop')], []);
  const first = f.step();
  assert.deepEqual(first.unplaced, [{ site: 'shop', customer: 'acme', count: 2, reason: 'no engine is up' }]);
  assert.deepEqual(first.putUnplaced, [{ site: 'shop', siteId: '0shop', count: 2, reason: 'no engine is up', since: T0 }]);
  const again = f.step(1000);
  assert.equal(again.unplaced, undefined, 'said once, not on every pass');
  assert.equal(again.putUnplaced, undefined, 'written once, not on every pass');
  assert.equal(again.deleteUnplaced, undefined);

  f.snap.engines.push(engine('e1'));
  const joined = f.step(1000);
  assert.equal(joined.create.length, 2);
  assert.deepEqual(joined.deleteUnplaced, ['shop']);
  assert.equal(f.record('shop'), undefined);
  assert.equal(f.step(1000).deleteUnplaced, undefined, 'deleted once');
});

it('every engine at its most virtual servers: the rest unplaced with the counts; a new count keeps the episode; scaled down to fit: cleared', () => {
  const f = farm([site('shop', { replicas: 5 })], [engine('e1', 3)]);
  const first = f.step();
  assert.equal(first.create.length, 3);
  assert.deepEqual(first.unplaced, [{ site: 'shop', customer: 'acme', count: 2, reason: 'every engine is at its most virtual servers (3/3)' }]);

  // asks for one fewer: the record says 1, with the same `since`, and no second event
  f.setSite('shop', { replicas: 4 });
  const fewer = f.step(1000);
  assert.equal(fewer.unplaced, undefined);
  assert.deepEqual(fewer.putUnplaced, [{ site: 'shop', siteId: '0shop', count: 1, reason: 'every engine is at its most virtual servers (3/3)', since: T0 }]);

  f.setSite('shop', { replicas: 3 });
  const fits = f.step(1000);
  assert.deepEqual(fits.deleteUnplaced, ['shop']);
  assert.equal(f.record('shop'), undefined);

  // wants more again: a new episode, said again
  f.setSite('shop', { replicas: 4 });
  assert.equal(f.step(1000).unplaced?.[0]?.count, 1);
});

it("several engines full, another site's servers counted: the sum of what they run and the most they run", () => {
  const f = farm([site('blog', { replicas: 3 }), site('shop', { replicas: 4 })], [engine('e1', 2), engine('e2', 3)]);
  const acts = f.step();
  assert.equal(acts.create.length, 5);
  assert.deepEqual(acts.unplaced, [{ site: 'shop', customer: 'acme', count: 2, reason: 'every engine is at its most virtual servers (5/5)' }]);
  assert.equal(f.record('blog'), undefined);
});

it('every engine draining: the reason says so, and the record goes when an engine takes work again', () => {
  const f = farm([site('shop')], [engine('e1', 50, { draining: true }), engine('e2', 50, { draining: true })]);
  assert.equal(f.step().unplaced?.[0]?.reason, 'every engine is draining');
  f.snap.engines = [engine('e1'), engine('e2', 50, { draining: true })];
  assert.deepEqual(f.step(1000).deleteUnplaced, ['shop']);
});

it("a site bound to a database: the engines that reach it full, or draining, said as such; one that does not reach it still takes other sites", () => {
  const f = farm([site('shop', { database: 'orders', replicas: 3 })], [engine('e1', 2, { reachesDatabase: true }), engine('e2')]);
  assert.equal(f.step().unplaced?.[0]?.reason, "every engine that reaches the site's database is at its most virtual servers (2/2)");
  f.snap.engines = [engine('e1', 2, { reachesDatabase: true, draining: true }), engine('e2')];
  const drained = f.step(1000);
  assert.equal(drained.unplaced, undefined, 'the same episode');
  assert.equal(drained.putUnplaced?.[0]?.reason, "every engine that reaches the site's database is draining");
});

it('a deleted site: its record goes; a new site of the name is a new episode', () => {
  const f = farm([site('shop')], []);
  f.step();
  f.snap.sites = [];
  assert.deepEqual(f.step(1000).deleteUnplaced, ['shop']);
  f.step(1000);

  // a record left by a deleted namesake (say, a pass that planned only other sites): replaced, and said
  f.snap.unplaced!.set('shop', { site: 'shop', siteId: '0old', count: 2, reason: 'no engine is up', since: T0 });
  f.snap.sites = [site('shop')];
  const acts = f.step(1000);
  assert.equal(acts.unplaced?.length, 1);
  assert.equal(acts.putUnplaced?.[0]?.siteId, '0shop');
});

it('a pooled site: no engine up, then an engine at its most virtual servers, said as for any site', () => {
  const f = new PoolFarm([pooledSite('a', { replicas: 1 })], []);
  const none = f.step();
  assert.deepEqual(none.unplaced, [{ site: 'a', customer: 'acme', count: 1, reason: 'no engine is up' }]);
  f.snap.engines = [{ id: 'e1', runtime: 'process', capacity: { cpus: 2, memoryMb: 1, maxVirtualServers: 1 }, startedAt: '' }];
  f.snap.assignments.push({ vs: 'other-1', engine: 'e1', site: 'other', customer: 'zed', kind: 'app', release: 'v1', sha256: 'b'.repeat(64), healthPath: '/', env: {}, domains: [], createdAt: '' });
  const full = f.step(1000);
  assert.equal(full.unplaced, undefined, 'the same episode');
  assert.equal(f.snap.unplaced?.get('a')?.reason, 'every engine is at its most virtual servers (1/1)');
  f.snap.engines[0]!.capacity.maxVirtualServers = 2;
  const room = f.step(1000);
  assert.deepEqual(room.deleteUnplaced, ['a']);
  assert.deepEqual(f.pools(false).map((p) => p.replace(/-\d+@/, '@')), ['pool-acme@e1[a]']);
});
