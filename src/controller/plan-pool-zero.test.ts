// Golden steps of a pooled static site scaling to zero and waking: at 0 its route is idle
// and its entries leave the pools (a pool left empty is deleted, as for a deleted site);
// a wake puts the entry back in the customer's pool that is still there (no new VS), and
// the route serves once the pool shows the site. Replicas are capped at one per engine.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Site } from '../model/index.ts';
import { pooledSite, PoolFarm, scaleTo } from './plan-pool-testing.ts';

const site = (name: string, over: Partial<Site> = {}): Site => pooledSite(name, { replicas: 1, ...over });
const zeroable = (name: string): Site => site(name, { autoscale: { minReplicas: 0, maxReplicas: 3, idleTimeoutMs: 60_000 } });
const scale = scaleTo;

/** One engine unless told; pools shown by site. */
class Farm extends PoolFarm {
  constructor(sites: Site[], engines = ['e1']) {
    super(sites, engines);
  }
  override pools(): string[] {
    return super.pools(false);
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
    farm.readyAll();
    farm.step();
    assert.deepEqual(farm.route('aa'), { endpoints: ['pool-acme-1'], idle: false });
  });

  it('woken before its engine took the entry out: the stale status (still showing the site) is not routed', () => {
    const farm = new Farm([zeroable('aa'), site('bb')]);
    farm.settle();
    farm.snap.scales!.set('aa', scale('aa', 0));
    farm.step();
    farm.step(1000);
    assert.deepEqual(farm.pools(), ['pool-acme-1@e1[bb]'], 'the entry out of the stored pool');
    assert.deepEqual(farm.snap.statuses.get('pool-acme-1')?.sites, { aa: 'v1', bb: 'v1' }, 'its engine has not reported the table without it yet');

    farm.snap.scales!.set('aa', scale('aa', 1));
    farm.step();
    assert.deepEqual(farm.pools(), ['pool-acme-1@e1[aa bb]']);
    assert.deepEqual(farm.route('aa'), { endpoints: [], idle: true }, 'held: the pool may be loading the table without aa');
    farm.readyAll();
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
    farm.readyAll();
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
