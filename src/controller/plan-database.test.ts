// Golden steps: binding a database to a site, and rotating its login, roll the site like a
// release — new servers with the new credentials first, the route switched once they are
// all ready, the old ones retired after the drain — so no request fails.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import type { FarmSnapshot } from './plan.ts';
import { planSteps } from './plan-testing.ts';
import type { AssignmentDatabase, Release, Site } from '../model/index.ts';

const release: Release = { id: 'v1', site: 'shop', number: 1, sha256: 'a'.repeat(64), size: 1, files: 1, unpackedBytes: 1, createdAt: '' };
const login = (user: string): AssignmentDatabase => ({ name: 'db_0123456789ab', user, password: `pw-${user}` });

function farm(site: Site) {
  const snap: FarmSnapshot = {
    sites: [site], releases: new Map([['shop/v1', release]]),
    engines: [{ id: 'e1', runtime: 'process', capacity: { cpus: 2, memoryMb: 1, maxVirtualServers: 50 }, startedAt: '', reachesDatabase: true }],
    assignments: [], statuses: new Map(), routes: new Map(), databases: new Map(),
  };
  const { step, readyAll } = planSteps(snap);
  const routed = () => snap.routes.get('shop')!.endpoints.map((e) => e.vs);
  const users = () => snap.assignments.map((a) => `${a.vs}:${a.database?.user ?? '-'}`);
  return { snap, step, readyAll, routed, users };
}

const shop = (over: Partial<Site> = {}): Site => ({
  name: 'shop', customer: 'acme', domains: ['shop.test'], kind: 'app', command: 'node server.js', replicas: 2,
  healthPath: '/', env: {}, release: 'v1', drainTimeoutMs: 0, createdAt: '', updatedAt: '', ...over,
});

it('binding, then rotating, a database rolls the site with its servers always routed', () => {
  const f = farm(shop());
  f.step();
  f.readyAll();
  f.step();
  assert.deepEqual(f.routed(), ['shop-1', 'shop-2']);
  assert.deepEqual(f.users(), ['shop-1:-', 'shop-2:-']);

  // bound: two new servers with the login; the old ones stay routed until both are ready
  f.snap.sites = [shop({ database: 'orders' })];
  f.snap.databases!.set('orders', { customer: 'acme', login: login('db_0123456789ab_1') });
  f.step();
  assert.deepEqual(f.users(), ['shop-1:-', 'shop-2:-', 'shop-3:db_0123456789ab_1', 'shop-4:db_0123456789ab_1']);
  assert.equal(f.snap.assignments.find((a) => a.vs === 'shop-3')?.database?.password, 'pw-db_0123456789ab_1');
  assert.deepEqual(f.routed(), ['shop-1', 'shop-2']);
  f.readyAll();
  f.step();
  assert.deepEqual(f.routed(), ['shop-3', 'shop-4']);
  f.step(1500);
  assert.deepEqual(f.users(), ['shop-3:db_0123456789ab_1', 'shop-4:db_0123456789ab_1']);

  // rotated: the same again, onto the new login
  f.snap.databases!.set('orders', { customer: 'acme', login: login('db_0123456789ab_2') });
  f.step();
  assert.deepEqual(f.routed(), ['shop-3', 'shop-4']);
  f.readyAll();
  f.step();
  assert.deepEqual(f.routed(), ['shop-5', 'shop-6']);
  f.step(1500);
  assert.deepEqual(f.users(), ['shop-5:db_0123456789ab_2', 'shop-6:db_0123456789ab_2']);
});

it("never gives a site another customer's database", () => {
  const f = farm(shop({ database: 'orders' }));
  f.snap.databases!.set('orders', { customer: 'globex', login: login('db_0123456789ab_1') });
  f.step();
  assert.deepEqual(f.users(), ['shop-1:-', 'shop-2:-']);
});

it('a new command, environment or health path rolls the site the same way; resources wait for the next deploy', () => {
  const f = farm(shop());
  f.step();
  f.readyAll();
  f.step();
  assert.deepEqual(f.routed(), ['shop-1', 'shop-2']);
  const vss = () => f.snap.assignments.map((a) => a.vs);
  let n = 2;
  for (const change of [{ env: { GREETING: 'hello' } }, { command: 'node app.js' }, { healthPath: '/healthz' }] as Partial<Site>[]) {
    f.snap.sites = [{ ...f.snap.sites[0]!, ...change }];
    f.step();
    assert.deepEqual(f.routed(), [`shop-${n - 1}`, `shop-${n}`], `${JSON.stringify(change)}: the old servers stay routed while the new ones start`);
    assert.deepEqual(vss(), [`shop-${n - 1}`, `shop-${n}`, `shop-${n + 1}`, `shop-${n + 2}`]);
    const made = f.snap.assignments.find((a) => a.vs === `shop-${n + 1}`)!;
    assert.deepEqual([made.env, made.command, made.healthPath], [f.snap.sites[0]!.env, f.snap.sites[0]!.command, f.snap.sites[0]!.healthPath]);
    f.readyAll();
    f.step();
    assert.deepEqual(f.routed(), [`shop-${n + 1}`, `shop-${n + 2}`], 'swapped once all new ones are ready');
    f.step(1500);
    assert.deepEqual(vss(), [`shop-${n + 1}`, `shop-${n + 2}`], 'the old ones retired after the drain');
    n += 2;
  }
  f.snap.sites = [{ ...f.snap.sites[0]!, resources: { memoryMb: 256 } }];
  f.step();
  assert.deepEqual(vss(), [`shop-${n - 1}`, `shop-${n}`], 'no roll for resources');
});
