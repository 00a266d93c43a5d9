// A site's retry settings: API validation and merging, and their way into the route.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Site } from '../model/index.ts';
import { newMemory, planReconcile } from './plan.ts';
import { staticSite, startController } from './test-harness.ts';

test('a site sets its retries at creation; a PATCH replaces them, {} restores the defaults', async (t) => {
  const h = await startController(t);
  const acme = await h.customer('acme');
  const created = await acme.post('/v1/sites', staticSite('blog', { retry: { perTryTimeoutMs: 2000, budgetRatio: 0.2 } }));
  assert.equal(created.status, 201, created.body);
  assert.deepEqual(created.json.site.retry, { perTryTimeoutMs: 2000, budgetRatio: 0.2 });

  const patched = await acme.patch('/v1/sites/blog', { retry: { maxTries: 3, budgetRatio: 0.1, minRetriesPerSecond: 5 } });
  assert.equal(patched.status, 200, patched.body);
  assert.deepEqual(patched.json.site.retry, { budgetRatio: 0.1, maxTries: 3, minRetriesPerSecond: 5 });
  const other = await acme.patch('/v1/sites/blog', { replicas: 2 });
  assert.deepEqual(other.json.site.retry, { budgetRatio: 0.1, maxTries: 3, minRetriesPerSecond: 5 }, 'kept when not given');

  const removed = await acme.patch('/v1/sites/blog', { retry: {} });
  assert.equal(removed.status, 200, removed.body);
  assert.equal(removed.json.site.retry, undefined, 'nothing left: the defaults');
});

test('retry settings out of range get a 400 naming the field and the range', async (t) => {
  const h = await startController(t);
  const acme = await h.customer('acme');
  assert.equal((await acme.post('/v1/sites', staticSite('blog'))).status, 201);
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ perTryTimeoutMs: 5 }, /^body\.retry\.perTryTimeoutMs must be >= 10$/],
    [{ perTryTimeoutMs: 600_001 }, /^body\.retry\.perTryTimeoutMs must be <= 600000$/],
    [{ perTryTimeoutMs: '2s' }, /^body\.retry\.perTryTimeoutMs must be integer$/],
    [{ budgetRatio: 1.5 }, /^body\.retry\.budgetRatio must be <= 1$/],
    [{ budgetRatio: -0.1 }, /^body\.retry\.budgetRatio must be >= 0$/],
    [{ minRetriesPerSecond: -1 }, /^body\.retry\.minRetriesPerSecond must be >= 0$/],
    [{ maxTries: 0 }, /^body\.retry\.maxTries must be >= 1$/],
    [{ maxTries: 11 }, /^body\.retry\.maxTries must be <= 10$/],
    [{ retries: 3 }, /^body\.retry has unknown field "retries"$/],
  ];
  for (const [retry, message] of cases) {
    const reply = await acme.patch('/v1/sites/blog', { retry });
    assert.equal(reply.status, 400, JSON.stringify(retry));
    assert.match(reply.json.error.message, message, reply.json.error.message);
  }
  assert.equal((await acme.get('/v1/sites/blog')).json.site.retry, undefined, 'nothing was stored');
});

test('the plan copies the retry settings into the route, and a change republishes it', () => {
  const site: Site = {
    name: 'blog', customer: 'acme', domains: ['blog.test'], kind: 'static', replicas: 1,
    healthPath: '/', env: {}, createdAt: '', updatedAt: '', retry: { perTryTimeoutMs: 500 },
  };
  const snap = { sites: [site], releases: new Map(), engines: [], assignments: [], statuses: new Map(), routes: new Map() };
  const mem = newMemory();
  const opts = { now: 0, drainDelayMs: 1000, engineLostGraceMs: 5000 };
  const first = planReconcile(snap, mem, opts).putRoutes;
  assert.deepEqual(first.map((r) => r.retry), [{ perTryTimeoutMs: 500 }]);
  snap.routes.set('blog', first[0]!);
  assert.equal(planReconcile(snap, mem, opts).putRoutes.length, 0, 'unchanged');
  site.retry = { perTryTimeoutMs: 500, budgetRatio: 0.5 };
  assert.deepEqual(planReconcile(snap, mem, opts).putRoutes.map((r) => r.retry), [{ perTryTimeoutMs: 500, budgetRatio: 0.5 }]);
  delete site.retry;
  assert.deepEqual(planReconcile(snap, mem, opts).putRoutes.map((r) => r.retry), [undefined]);
});
