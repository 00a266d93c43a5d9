// Golden steps of pooled static hosting in the plan: what each pass assigns, puts in the
// pools' tables and routes, as the pools report what they serve.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { POOL_MAX_IN_FLIGHT, poolSiteId } from './plan-pool.ts';
import { engine, pooledSite, PoolFarm } from './plan-pool-testing.ts';

const site = pooledSite;

describe('pooled static sites', () => {
  it('three sites of a customer share one pool per engine; routed once the pools show them', () => {
    const farm = new PoolFarm([site('aa'), site('bb'), site('cc')]);
    const acts = farm.step();
    assert.deepEqual(farm.pools(), ['pool-acme-1@e1[aa@v1 bb@v1 cc@v1]', 'pool-acme-2@e2[aa@v1 bb@v1 cc@v1]']);
    assert.deepEqual(farm.servers(), [], 'no VS of their own');
    assert.equal(acts.create[0]!.siteId, poolSiteId('acme'));
    assert.deepEqual(farm.routed('aa'), [], 'not routed before the pools show the site');

    farm.ready('pool-acme-1');
    farm.step();
    assert.deepEqual(farm.routed('aa'), ['pool-acme-1@v1']);
    farm.ready('pool-acme-2');
    const later = farm.step();
    assert.deepEqual(farm.routed('bb'), ['pool-acme-1@v1', 'pool-acme-2@v1']);
    assert.deepEqual(later.create, [], 'nothing re-put once the tables are as wanted');
    assert.equal(farm.snap.routes.get('aa')?.endpointMaxInFlight, POOL_MAX_IN_FLIGHT, 'a pool is sent at most so many requests at once by a router process');
  });

  it('a deploy changes the entries in place; the route follows each pool as it reports, no VS replaced', () => {
    const farm = new PoolFarm([site('aa'), site('bb')]);
    farm.settle();
    farm.snap.sites[0] = site('aa', { release: 'v2' });
    const acts = farm.step();
    assert.deepEqual(acts.remove, []);
    assert.deepEqual(farm.pools(), ['pool-acme-1@e1[aa@v2 bb@v1]', 'pool-acme-2@e2[aa@v2 bb@v1]']);
    assert.deepEqual(farm.routed('aa'), ['pool-acme-1@v1', 'pool-acme-2@v1'], 'still what the pools show');
    farm.ready('pool-acme-1');
    farm.step();
    assert.deepEqual(farm.routed('aa'), ['pool-acme-1@v2', 'pool-acme-2@v1']);
    farm.ready('pool-acme-2');
    farm.step();
    assert.deepEqual(farm.routed('aa'), ['pool-acme-1@v2', 'pool-acme-2@v2']);
    assert.deepEqual(farm.routed('bb'), ['pool-acme-1@v1', 'pool-acme-2@v1']);
  });

  it('spa switched on: that site\'s entries change in place, no pool replaced, the route and the other sites untouched', () => {
    const farm = new PoolFarm([site('aa'), site('bb')]);
    farm.settle();
    const pools = farm.snap.assignments.map((a) => a.vs);
    const routed = farm.routed('aa');
    farm.snap.sites[0] = site('aa', { spa: true });
    const acts = farm.step();
    assert.deepEqual(acts.remove, []);
    assert.deepEqual(acts.create.map((a) => a.vs), pools, 'the same pools, their tables put again');
    for (const a of farm.snap.assignments) {
      assert.equal(a.pool!.sites.find((e) => e.site === 'aa')!.spa, true, a.vs);
      assert.equal(a.pool!.sites.find((e) => e.site === 'bb')!.spa, undefined, `${a.vs}: the other site's entry is as it was`);
    }
    assert.deepEqual(farm.routed('aa'), routed, 'still routed while the pools swap their tables');
    farm.snap.sites[0] = site('aa', { spa: true });
    assert.deepEqual(farm.step().create, [], 'nothing put again once the tables say it');
  });

  it('a deleted site: route deleted at once, its entries dropped after the drain delay; the pools stay for the others', () => {
    const farm = new PoolFarm([site('aa'), site('bb')]);
    farm.settle();
    farm.snap.sites = [site('aa')];
    const acts = farm.step();
    assert.deepEqual(acts.deleteRoutes, ['bb']);
    assert.deepEqual(farm.pools(), ['pool-acme-1@e1[aa@v1 bb@v1]', 'pool-acme-2@e2[aa@v1 bb@v1]'], 'kept while requests drain');
    farm.step(999);
    assert.equal(farm.pools()[0], 'pool-acme-1@e1[aa@v1 bb@v1]');
    farm.step(1);
    assert.deepEqual(farm.pools(), ['pool-acme-1@e1[aa@v1]', 'pool-acme-2@e2[aa@v1]']);
  });

  it('the last site gone: the pools are emptied, then deleted after the drain delay', () => {
    const farm = new PoolFarm([site('aa')]);
    farm.settle();
    farm.snap.sites = [];
    farm.step();
    farm.step(1000);
    assert.deepEqual(farm.pools(), ['pool-acme-1@e1[]', 'pool-acme-2@e2[]']);
    farm.step(1000);
    assert.deepEqual(farm.pools(), []);
  });

  it('two customers never share a pool', () => {
    const farm = new PoolFarm([site('aa'), site('bb', { customer: 'globex' }), site('cc', { customer: 'globex', replicas: 1 })]);
    farm.settle();
    assert.deepEqual(farm.pools(), [
      'pool-acme-1@e1[aa@v1]', 'pool-acme-2@e2[aa@v1]',
      'pool-globex-3@e1[bb@v1 cc@v1]', 'pool-globex-4@e2[bb@v1]',
    ]);
    for (const a of farm.snap.assignments) {
      assert.equal(a.siteId, poolSiteId(a.customer));
      for (const e of a.pool!.sites) assert.equal(farm.snap.sites.find((s) => s.name === e.site)!.customer, a.customer, `${e.site} in ${a.vs}`);
    }
    assert.deepEqual(farm.routed('cc'), ['pool-globex-3@v1']);
    // a pool of another customer showing the site is never routed
    const stray = farm.snap.statuses.get('pool-acme-1')!;
    farm.snap.statuses.set('pool-acme-1', { ...stray, sites: { ...stray.sites, cc: 'v1' } });
    farm.step();
    assert.deepEqual(farm.routed('cc'), ['pool-globex-3@v1']);
  });

  it('scale down: the entry leaves the route first, then the table after the drain', () => {
    const farm = new PoolFarm([site('aa')]);
    farm.settle();
    farm.snap.sites[0] = site('aa', { replicas: 1 });
    farm.step();
    assert.deepEqual(farm.routed('aa'), ['pool-acme-1@v1']);
    assert.deepEqual(farm.pools(), ['pool-acme-1@e1[aa@v1]', 'pool-acme-2@e2[aa@v1]']);
    farm.settle();
    assert.deepEqual(farm.pools(), ['pool-acme-1@e1[aa@v1]'], 'the emptied pool deleted too');
  });

  it('a site becoming pooled: its own servers serve until the pools do, then retire; and back', () => {
    const farm = new PoolFarm([site('aa', { pooled: false })]);
    farm.settle();
    assert.deepEqual(farm.servers(), ['aa-1@v1', 'aa-2@v1']);
    farm.snap.sites[0] = site('aa');
    farm.step();
    assert.deepEqual(farm.routed('aa'), ['aa-1@v1', 'aa-2@v1'], 'own servers until the pools show it');
    farm.ready('pool-acme-3', 'pool-acme-4');
    farm.step();
    assert.deepEqual(farm.routed('aa'), ['pool-acme-3@v1', 'pool-acme-4@v1']);
    farm.settle();
    assert.deepEqual(farm.servers(), []);

    farm.snap.sites[0] = site('aa', { pooled: false });
    farm.step();
    assert.deepEqual(farm.routed('aa'), ['pool-acme-3@v1', 'pool-acme-4@v1'], 'the pools until its own servers are ready');
    farm.settle();
    assert.deepEqual(farm.servers(), ['aa-5@v1', 'aa-6@v1']);
    assert.deepEqual(farm.pools(), []);
    assert.deepEqual(farm.routed('aa'), ['aa-5@v1', 'aa-6@v1']);
  });

  it('more replicas than engines: one entry per engine, and that counts as enough', () => {
    const farm = new PoolFarm([site('aa', { replicas: 3 })]);
    farm.settle();
    assert.deepEqual(farm.pools(), ['pool-acme-1@e1[aa@v1]', 'pool-acme-2@e2[aa@v1]']);
    farm.snap.sites[0] = site('aa', { replicas: 3, release: 'v2' });
    farm.settle();
    assert.deepEqual(farm.routed('aa'), ['pool-acme-1@v2', 'pool-acme-2@v2']);
  });

  it('an engine joining takes the replicas one engine could not hold (one entry per engine: always spread)', () => {
    const farm = new PoolFarm([site('aa', { replicas: 2 })], ['e1']);
    farm.settle();
    assert.deepEqual(farm.pools(), ['pool-acme-1@e1[aa@v1]']);
    farm.snap.engines.push(engine('e2'));
    farm.settle();
    assert.deepEqual(farm.pools(), ['pool-acme-1@e1[aa@v1]', 'pool-acme-2@e2[aa@v1]']);
    assert.deepEqual(farm.routed('aa'), ['pool-acme-1@v1', 'pool-acme-2@v1']);
  });

  it('a draining engine: the entry moves to another engine, the old one serves until the new one does', () => {
    const farm = new PoolFarm([site('aa', { replicas: 1 })], ['e1', 'e2']);
    farm.settle();
    assert.deepEqual(farm.pools(), ['pool-acme-1@e1[aa@v1]']);
    farm.snap.engines[0] = engine('e1', { draining: true });
    farm.step();
    assert.deepEqual(farm.pools(), ['pool-acme-1@e1[aa@v1]', 'pool-acme-2@e2[aa@v1]']);
    assert.deepEqual(farm.routed('aa'), ['pool-acme-1@v1'], 'the old one serves on');
    farm.ready('pool-acme-2');
    farm.step();
    assert.deepEqual(farm.routed('aa'), ['pool-acme-2@v1']);
    farm.settle();
    assert.deepEqual(farm.pools(), ['pool-acme-2@e2[aa@v1]'], 'the drained engine\'s pool emptied, then deleted');
  });

  it('a lost engine: the site placed again on another engine, in the pool there', () => {
    const farm = new PoolFarm([site('aa', { replicas: 1 })], ['e1', 'e2']);
    farm.settle();
    assert.deepEqual(farm.pools(), ['pool-acme-1@e1[aa@v1]']);
    farm.snap.engines = [engine('e2')];
    farm.step();
    farm.step(5000);
    assert.deepEqual(farm.pools(), ['pool-acme-2@e2[aa@v1]']);
  });
});
