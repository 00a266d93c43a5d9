// The reconciler's guard: unusable routes and assignments are held back, each problem
// reported once per site, good records pass untouched.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Assignment, Route } from '../model/index.ts';
import { guardActions, refusalReporter } from './record-guard.ts';

const assignment = (site: string, over: Partial<Assignment> = {}): Assignment => ({
  vs: `${site}-1`, engine: 'e1', site, customer: `${site}-owner`, kind: 'app', release: 'v1', sha256: 'a'.repeat(64),
  command: 'node server.js', healthPath: '/health', env: {}, domains: [], createdAt: '2026-12-04T00:00:00.000Z', ...over,
});
const route = (site: string, over: Partial<Route> = {}): Route => ({
  site, domains: [`${site}.example.com`], endpoints: [], health: { path: '/health' }, updatedAt: '2026-12-04T00:00:00.000Z', ...over,
});
const owners = (site: string) => `${site}-owner`;

describe('guardActions', () => {
  it('passes good records through unchanged', () => {
    const actions = { create: [assignment('good')], remove: [{ engine: 'e1', vs: 'old-1' }], putRoutes: [route('good')], deleteRoutes: ['gone'] };
    const out = guardActions(actions, owners);
    assert.deepEqual(out.actions, actions);
    assert.deepEqual(out.refused, []);
  });

  it('holds back a route with an unsendable health path and an assignment with NUL in env, naming the field', () => {
    const actions = {
      create: [assignment('bad', { env: { SECRET: 'a\u0000b' } }), assignment('good')],
      remove: [],
      putRoutes: [route('bad', { health: { path: '/x\r\nHost: evil' } }), route('good')],
      deleteRoutes: [],
    };
    const out = guardActions(actions, owners);
    assert.deepEqual(out.actions.create.map((a) => a.site), ['good']);
    assert.deepEqual(out.actions.putRoutes.map((r) => r.site), ['good']);
    assert.deepEqual(out.refused.map((r) => [r.kind, r.site, r.customer]), [['assignment', 'bad', 'bad-owner'], ['route', 'bad', 'bad-owner']]);
    assert.match(out.refused[0]!.problem, /env/);
    assert.match(out.refused[1]!.problem, /health/);
  });
});

describe('refusalReporter', () => {
  it('reports each site and problem once, to the site owner', () => {
    const report = refusalReporter();
    const refused = [{ kind: 'route' as const, site: 'bad', customer: 'acme', problem: '/health/path must be a path' }];
    const first = report(refused);
    assert.equal(first.length, 1);
    assert.equal(first[0]!.action, 'site.bad_record');
    assert.equal(first[0]!.customer, 'acme');
    assert.match(first[0]!.message ?? '', /site bad is not routed: its route \/health\/path must be a path/);
    assert.deepEqual(report(refused), [], 'the same problem again: no second event');
    assert.equal(report([{ ...refused[0]!, problem: 'another' }]).length, 1, 'a new problem is reported');
  });
});
