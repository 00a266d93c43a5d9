import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Site } from '../model/index.ts';
import { newMemory, planReconcile, type FarmSnapshot } from './plan.ts';
import { staticSite, startController } from './test-harness.ts';
import { CUSTOMER_RESOURCE_CAPS } from './site-spec.ts';

test('a site sets its guests\' resources and egress through the API; out-of-range values get a clear 400', async (t) => {
  const h = await startController(t);
  const acme = await h.customer('acme');
  // egress engine (connections to the engine's host) is the admin's to give: a customer's token is refused it
  const asked = await acme.post('/v1/sites', staticSite('blog', { egress: 'engine' }));
  assert.equal(asked.status, 403);
  assert.match(asked.json.error.message, /egress engine .* ask the farm's operator/);
  const created = await h.admin.post('/v1/sites', staticSite('blog', { customer: 'acme', resources: { memoryMb: 128, cpu: 0.5, pids: 64, diskMb: 32 }, egress: 'engine' }));
  assert.equal(created.status, 201, created.body);
  assert.deepEqual(created.json.site.resources, { memoryMb: 128, cpu: 0.5, pids: 64, diskMb: 32 });
  assert.equal(created.json.site.egress, 'engine');
  const patched = await acme.patch('/v1/sites/blog', { resources: { tmpMb: 16 }, egress: 'none' });
  assert.equal(patched.status, 200, patched.body);
  assert.deepEqual(patched.json.site.resources, { memoryMb: 128, cpu: 0.5, pids: 64, diskMb: 32, tmpMb: 16 }, 'a patch merges resources');
  assert.equal(patched.json.site.egress, 'none');
  assert.equal((await acme.patch('/v1/sites/blog', { egress: 'engine' })).status, 403, 'nor by a patch');

  const bad: Array<[unknown, RegExp]> = [
    [{ resources: { memoryMb: 1 } }, /memoryMb/],
    [{ resources: { cpu: 0 } }, /cpu/],
    [{ resources: { cpu: 1000 } }, /cpu/],
    [{ resources: { pids: 2.5 } }, /pids/],
    [{ resources: { diskMb: 10 ** 9 } }, /diskMb/],
    [{ resources: { swapMb: 1 } }, /swapMb|additional|unknown/i],
    [{ egress: 'anywhere' }, /egress/],
  ];
  for (const [body, why] of bad) {
    const reply = await acme.patch('/v1/sites/blog', body);
    assert.equal(reply.status, 400, JSON.stringify(body));
    assert.match(reply.json.error.message, why, JSON.stringify(body));
  }
  assert.deepEqual((await acme.get('/v1/sites/blog')).json.site.resources, { memoryMb: 128, cpu: 0.5, pids: 64, diskMb: 32, tmpMb: 16 }, 'a refused change loses nothing');
});

test("a customer sets its servers' resources up to CUSTOMER_RESOURCE_CAPS; more is the operator's to give (403, nothing changed)", async (t) => {
  const h = await startController(t);
  const acme = await h.customer('acme');
  assert.equal((await acme.post('/v1/sites', staticSite('big', { resources: { memoryMb: 65_536 } }))).status, 403, 'not at creation');
  assert.equal((await acme.get('/v1/sites/big')).status, 404, 'nothing created');
  assert.equal((await acme.post('/v1/sites', staticSite('blog', { resources: { ...CUSTOMER_RESOURCE_CAPS } }))).status, 201, 'the caps themselves are allowed');
  for (const [key, cap] of Object.entries(CUSTOMER_RESOURCE_CAPS)) {
    const over = key === 'cpu' ? cap + 0.5 : cap + 1;
    const reply = await acme.patch('/v1/sites/blog', { resources: { [key]: over } });
    assert.equal(reply.status, 403, key);
    assert.match(reply.json.error.message, new RegExp(`^resources\\.${key} ${over} is above what a customer may set \\(${cap}\\); ask the farm's operator`), key);
  }
  assert.deepEqual((await acme.get('/v1/sites/blog')).json.site.resources, { ...CUSTOMER_RESOURCE_CAPS }, 'a refused change loses nothing');
  // the operator may give more, and the customer may then change another setting without losing it
  assert.equal((await h.admin.patch('/v1/sites/blog', { resources: { memoryMb: 16_384, cpu: 8 } })).status, 200);
  const patched = await acme.patch('/v1/sites/blog', { resources: { pids: 64 } });
  assert.equal(patched.status, 200, patched.body);
  assert.deepEqual([patched.json.site.resources.memoryMb, patched.json.site.resources.cpu, patched.json.site.resources.pids], [16_384, 8, 64]);
  assert.equal((await acme.patch('/v1/sites/blog', { resources: { memoryMb: null } })).status, 200, 'removing one is always allowed');
});

test('resources and egress travel from the site into its new assignments', () => {
  const site: Site = {
    name: 'blog', customer: 'acme', domains: ['blog.test'], kind: 'static', replicas: 1, healthPath: '/', env: {},
    release: 'v1', createdAt: '', updatedAt: '', resources: { memoryMb: 256, cpu: 0.5, pids: 128, diskMb: 512 }, egress: 'engine',
  };
  const snap: FarmSnapshot = {
    sites: [site],
    releases: new Map([['blog/v1', { id: 'v1', site: 'blog', number: 1, sha256: 'a'.repeat(64), size: 1, files: 1, unpackedBytes: 1, createdAt: '' }]]),
    engines: [{ id: 'e1', runtime: 'namespace', capacity: { cpus: 2, memoryMb: 1, maxVirtualServers: 50 }, startedAt: '' }],
    assignments: [], statuses: new Map(), routes: new Map(),
  };
  const [a] = planReconcile(snap, newMemory(), { now: 0, drainDelayMs: 1000, engineLostGraceMs: 5000, newVsName: (s) => `${s}-1` }).create;
  assert.deepEqual(a?.resources, site.resources);
  assert.equal(a?.egress, 'engine');
});
