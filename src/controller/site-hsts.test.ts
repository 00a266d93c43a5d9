// A site's HSTS setting: API validation (the preload rules, a PATCH replacing the whole
// object, {} turning it off), and its way into the route.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Site } from '../model/index.ts';
import { newMemory, planReconcile } from './plan.ts';
import { staticSite, startController } from './test-harness.ts';

test('a site sets HSTS at creation; a PATCH replaces it, {} turns it off', async (t) => {
  const h = await startController(t);
  const acme = await h.customer('acme');
  const created = await acme.post('/v1/sites', staticSite('blog', { hsts: { maxAgeSeconds: 300 } }));
  assert.equal(created.status, 201, created.body);
  assert.deepEqual(created.json.site.hsts, { maxAgeSeconds: 300 });
  const patched = await acme.patch('/v1/sites/blog', { hsts: { maxAgeSeconds: 31_536_000, includeSubDomains: true, preload: true } });
  assert.equal(patched.status, 200, patched.body);
  assert.deepEqual(patched.json.site.hsts, { maxAgeSeconds: 31_536_000, includeSubDomains: true, preload: true });
  assert.deepEqual((await acme.patch('/v1/sites/blog', { replicas: 2 })).json.site.hsts.maxAgeSeconds, 31_536_000, 'kept when not given');
  const off = await acme.patch('/v1/sites/blog', { hsts: {} });
  assert.equal(off.status, 200, off.body);
  assert.equal(off.json.site.hsts, undefined);
});

test('bad HSTS settings get a 400 naming the field and the rule; nothing is stored', async (t) => {
  const h = await startController(t);
  const acme = await h.customer('acme');
  assert.equal((await acme.post('/v1/sites', staticSite('blog'))).status, 201);
  const cases: Array<[unknown, RegExp]> = [
    [{ maxAgeSeconds: -1 }, /^body\.hsts\.maxAgeSeconds must be >= 0$/],
    [{ maxAgeSeconds: 63_072_001 }, /^body\.hsts\.maxAgeSeconds must be <= 63072000$/],
    [{ maxAgeSeconds: '1y' }, /^body\.hsts\.maxAgeSeconds must be integer$/],
    [{ includeSubDomains: true }, /^body\.hsts\.maxAgeSeconds is required/],
    [{ maxAgeSeconds: 31_536_000, preload: true }, /^body\.hsts\.preload needs includeSubDomains/],
    [{ maxAgeSeconds: 600, includeSubDomains: true, preload: true }, /at least 31536000 \(one year\)/],
    [{ maxAge: 600 }, /^body\.hsts has unknown field "maxAge"$/],
    [600, /^body\.hsts must be object$/],
  ];
  for (const [hsts, message] of cases) {
    const reply = await acme.patch('/v1/sites/blog', { hsts });
    assert.equal(reply.status, 400, JSON.stringify(hsts));
    assert.match(reply.json.error.message, message, reply.json.error.message);
  }
  assert.equal((await acme.get('/v1/sites/blog')).json.site.hsts, undefined, 'nothing was stored');
});

test('the plan copies HSTS into the route, and a change republishes it', () => {
  const site: Site = {
    name: 'blog', customer: 'acme', domains: ['blog.test'], kind: 'static', replicas: 1,
    healthPath: '/', env: {}, createdAt: '', updatedAt: '', hsts: { maxAgeSeconds: 300 },
  };
  const snap = { sites: [site], releases: new Map(), engines: [], assignments: [], statuses: new Map(), routes: new Map() };
  const mem = newMemory();
  const opts = { now: 0, drainDelayMs: 1000, engineLostGraceMs: 5000 };
  const first = planReconcile(snap, mem, opts).putRoutes;
  assert.deepEqual(first.map((r) => r.hsts), [{ maxAgeSeconds: 300 }]);
  snap.routes.set('blog', first[0]!);
  assert.equal(planReconcile(snap, mem, opts).putRoutes.length, 0, 'unchanged');
  site.hsts = { maxAgeSeconds: 300, includeSubDomains: true };
  assert.deepEqual(planReconcile(snap, mem, opts).putRoutes.map((r) => r.hsts), [{ maxAgeSeconds: 300, includeSubDomains: true }]);
});
