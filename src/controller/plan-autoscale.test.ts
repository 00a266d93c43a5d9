// The plan with autoscaling, step by step: the autoscaler's count replaces `replicas`;
// at 0 the servers leave the route (marked idle) and retire after the drain timeout; a
// wake (1) starts one server and the route is idle until it is ready.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { newMemory, planReconcile, type FarmSnapshot } from './plan.ts';
import type { Release, ScaleRecord, Site, VsStatus } from '../model/index.ts';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const site: Site = {
  name: 'app', id: '0aaa', customer: 'acme', domains: ['app.test'], kind: 'app', command: 'x', replicas: 5, healthPath: '/', env: {},
  release: 'v1', drainTimeoutMs: 0, createdAt: '', updatedAt: '', autoscale: { minReplicas: 0, maxReplicas: 3 },
};
const release: Release = { id: 'v1', site: 'app', number: 1, sha256: 'a'.repeat(64), size: 1, files: 1, unpackedBytes: 1, createdAt: '' };
const scale = (replicas: number): ScaleRecord => ({ site: 'app', siteId: '0aaa', replicas, reason: 'test', at: '', lastActiveAt: 0 });

describe('plan with autoscaling', () => {
  it('follows the scale record, not replicas; at zero the route is idle and the servers retire; a wake starts one', () => {
    const snap: FarmSnapshot = {
      sites: [site], releases: new Map([['app/v1', release]]),
      engines: [{ id: 'e1', runtime: 'process', capacity: { cpus: 2, memoryMb: 1, maxVirtualServers: 50 }, startedAt: '' }],
      assignments: [], statuses: new Map(), routes: new Map(), scales: new Map(),
    };
    const mem = newMemory();
    let now = T0;
    let seq = 0;
    const step = (ms = 0) => {
      now += ms;
      const acts = planReconcile(snap, mem, { now, drainDelayMs: 1000, engineLostGraceMs: 5000, newVsName: (s) => `${s}-${++seq}` });
      snap.assignments = snap.assignments.filter((a) => !acts.remove.some((r) => r.vs === a.vs)).concat(acts.create);
      for (const r of acts.putRoutes) snap.routes.set(r.site, r);
      return acts;
    };
    const ready = () => {
      for (const a of snap.assignments) snap.statuses.set(a.vs, { vs: a.vs, engine: 'e1', site: 'app', release: 'v1', state: 'ready', address: '127.0.0.1', port: 1000 + seq, restarts: 0, updatedAt: '' } as VsStatus);
    };

    assert.equal(step().create.length, 1, 'no decision yet: one server to start with (not replicas: 5)');
    assert.equal(snap.routes.get('app')?.idle, true, 'no endpoint yet and it may scale to zero: requests are held');
    ready();
    step();
    assert.equal(snap.routes.get('app')?.endpoints.length, 1);
    assert.equal(snap.routes.get('app')?.idle, undefined);

    snap.scales!.set('app', scale(3));
    assert.equal(step().create.length, 2, 'scaled out to 3');
    ready();
    step();
    assert.equal(snap.routes.get('app')?.endpoints.length, 3);

    snap.scales!.set('app', scale(0));
    step();
    assert.deepEqual(snap.routes.get('app')?.endpoints, [], 'idle: out of the route at once');
    assert.equal(snap.routes.get('app')?.idle, true);
    assert.equal(step(1000).remove.length, 3, 'retired after the drain delay');
    assert.equal(snap.assignments.length, 0);

    snap.scales!.set('app', scale(1));
    assert.equal(step().create.length, 1, 'woken: one server');
    assert.equal(snap.routes.get('app')?.idle, true, 'still idle until it is ready');
    ready();
    step();
    assert.equal(snap.routes.get('app')?.endpoints.length, 1);
    assert.equal(snap.routes.get('app')?.idle, undefined);

    snap.scales!.set('app', scale(9));
    step();
    ready();
    step();
    assert.equal(snap.assignments.length, 3, 'a count above max is held to max');
  });
});
