import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Site, VsStatus } from '../model/index.ts';
import { newMemory, planReconcile, type FarmSnapshot } from './plan.ts';
import { staticSite, startController } from './test-harness.ts';

test('a site chooses its balancing through the API; bad combinations get a clear 400', async (t) => {
  const h = await startController(t);
  const acme = await h.customer('acme');
  const created = await acme.post('/v1/sites', staticSite('blog', { balance: { policy: 'hash', hashOn: 'cookie', key: 'session' } }));
  assert.equal(created.status, 201, created.body);
  assert.deepEqual(created.json.site.balance, { policy: 'hash', hashOn: 'cookie', key: 'session' });
  const patched = await acme.patch('/v1/sites/blog', { balance: { policy: 'weighted', weights: { e1: 3 } } });
  assert.equal(patched.status, 200, patched.body);
  assert.deepEqual((await acme.get('/v1/sites/blog')).json.site.balance, { policy: 'weighted', weights: { e1: 3 } });

  const bad: Array<[unknown, RegExp]> = [
    [{ policy: 'fastest' }, /policy/],
    [{ policy: 'hash', hashOn: 'header' }, /balance\.key is required/],
    [{ policy: 'round-robin', weights: { e1: 2 } }, /weights is only for policy "weighted"/],
    [{ policy: 'least-conn', hashOn: 'ip' }, /hashOn is only for policy "hash"/],
    [{ policy: 'weighted', weights: { e1: 0 } }, /weights/],
    [{ policy: 'sticky', key: 'bad cookie' }, /key/],
  ];
  for (const [balance, why] of bad) {
    const reply = await acme.patch('/v1/sites/blog', { balance });
    assert.equal(reply.status, 400, JSON.stringify(balance));
    assert.match(reply.json.error.message, why);
  }
  assert.deepEqual((await acme.get('/v1/sites/blog')).json.site.balance, { policy: 'weighted', weights: { e1: 3 } }, 'a refused change loses nothing');
  const limits = await acme.patch('/v1/sites/blog', { limits: { maxBodyBytes: 1_000_000, requestsPerSecond: 50 } });
  assert.equal(limits.status, 200, limits.body);
  assert.deepEqual(limits.json.site.limits, { maxBodyBytes: 1_000_000, requestsPerSecond: 50 });
  assert.equal((await acme.patch('/v1/sites/blog', { limits: { maxHeaderBytes: 10 } })).status, 400);
});

test('the plan carries the balancing into the route, with engine weights resolved per VS', () => {
  const site: Site = {
    name: 'blog', customer: 'acme', domains: ['blog.test'], kind: 'static', replicas: 1, healthPath: '/', env: {},
    release: 'v1', createdAt: '', updatedAt: '', balance: { policy: 'weighted', weights: { e1: 4 } },
  };
  const snap: FarmSnapshot = {
    sites: [site],
    releases: new Map([['blog/v1', { id: 'v1', site: 'blog', number: 1, sha256: 'a'.repeat(64), size: 1, files: 1, unpackedBytes: 1, createdAt: '' }]]),
    engines: [{ id: 'e1', runtime: 'process', capacity: { cpus: 2, memoryMb: 1, maxVirtualServers: 50 }, startedAt: '' }],
    assignments: [], statuses: new Map(), routes: new Map(),
  };
  const mem = newMemory();
  const opts = { now: 0, drainDelayMs: 1000, engineLostGraceMs: 5000, newVsName: (s: string) => `${s}-1` };
  snap.assignments = planReconcile(snap, mem, opts).create;
  const st: VsStatus = { vs: 'blog-1', engine: 'e1', site: 'blog', release: 'v1', state: 'ready', address: '127.0.0.1', port: 1001, restarts: 0, updatedAt: '' };
  snap.statuses.set('blog-1', st);
  const route = planReconcile(snap, mem, opts).putRoutes[0]!;
  assert.deepEqual(route.balance, { policy: 'weighted', weights: { 'blog-1': 4 } });
  snap.routes.set('blog', route);
  assert.equal(planReconcile(snap, mem, opts).putRoutes.length, 0, 'unchanged: no write');
  snap.sites = [{ ...site, balance: { policy: 'least-conn' }, limits: { maxBodyBytes: 1000 } }];
  assert.deepEqual(planReconcile(snap, mem, opts).putRoutes[0]?.limits, { maxBodyBytes: 1000 }, 'limits travel too');
  assert.deepEqual(planReconcile(snap, mem, opts).putRoutes[0]?.balance, { policy: 'least-conn' }, 'a balancing change alone republishes the route');
});
