import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { keys } from '../model/index.ts';
import type { Store } from '../store/types.ts';
import { staticSite, startController } from './test-harness.ts';

test('a customer creates, reads, lists, changes, scales and deletes its site', async (t) => {
  const h = await startController(t);
  const acme = await h.customer('acme');
  const created = await acme.post('/v1/sites', staticSite('blog'));
  assert.equal(created.status, 201, created.body);
  const id = created.json.site.id as string;
  assert.match(id, /^0[0-9a-f]{24}$/, 'a random id that is never a site name (those start with a letter)');
  assert.deepEqual(
    { ...created.json.site, createdAt: 0, updatedAt: 0 },
    // pooled: a static site created without `pooled` is pooled (the controller's default)
    { id, name: 'blog', customer: 'acme', domains: ['blog.example.com'], kind: 'static', replicas: 1, healthPath: '/', env: {}, pooled: true, createdAt: 0, updatedAt: 0 },
  );
  assert.equal((await acme.get('/v1/sites/blog')).json.site.name, 'blog');
  assert.deepEqual((await acme.get('/v1/sites')).json.sites.map((s: { name: string }) => s.name), ['blog']);

  const patched = await acme.patch('/v1/sites/blog', { domains: ['www.blog.example.com', '*.blog.example.com'], healthPath: '/ok' });
  assert.equal(patched.status, 200, patched.body);
  assert.deepEqual(patched.json.site.domains, ['www.blog.example.com', '*.blog.example.com']);
  assert.equal(await h.store.get(keys.domain('blog.example.com')), undefined, 'the dropped domain is released');
  assert.deepEqual(JSON.parse((await h.store.get(keys.domain('www.blog.example.com')))?.value ?? 'null'), { site: 'blog', customer: 'acme' });

  const scaled = await acme.post('/v1/sites/blog/scale', { replicas: 3 });
  assert.equal(scaled.json.site.replicas, 3);
  assert.equal(scaled.json.site.id, id, 'changes keep the id');

  assert.equal((await acme.delete('/v1/sites/blog')).status, 204);
  assert.equal((await acme.get('/v1/sites/blog')).status, 404);
  assert.equal((await h.store.range(keys.domains)).kvs.length, 0, 'all domains released');

  const again = await acme.post('/v1/sites', staticSite('blog'));
  assert.equal(again.status, 201, again.body);
  assert.notEqual(again.json.site.id, id, 'a site re-created under the same name has another id');
});

test('an admin must name the customer, and it must exist', async (t) => {
  const h = await startController(t);
  const missing = await h.admin.post('/v1/sites', staticSite('blog'));
  assert.equal(missing.status, 400);
  assert.match(missing.json.error.message, /body\.customer/);
  assert.equal((await h.admin.post('/v1/sites', staticSite('blog', { customer: 'nobody' }))).status, 404);
  await h.customer('acme');
  assert.equal((await h.admin.post('/v1/sites', staticSite('blog', { customer: 'acme' }))).status, 201);
  assert.equal((await h.admin.get('/v1/sites')).json.sites.length, 1);
});

test('a site name is unique, and a domain has one owner', async (t) => {
  const h = await startController(t);
  const acme = await h.customer('acme');
  await acme.post('/v1/sites', staticSite('blog'));
  const again = await acme.post('/v1/sites', staticSite('blog', { domains: ['other.example.com'] }));
  assert.equal(again.status, 409);
  assert.equal(again.json.error.code, 'name_unavailable');
  const sameDomain = await acme.post('/v1/sites', staticSite('shop', { domains: ['blog.example.com'] }));
  assert.equal(sameDomain.status, 409);
  assert.equal(sameDomain.json.error.code, 'domain_taken');
  assert.equal((await acme.get('/v1/sites/shop')).status, 404, 'nothing was written');
  await acme.post('/v1/sites', staticSite('shop'));
  const patch = await acme.patch('/v1/sites/shop', { domains: ['shop.example.com', 'blog.example.com'] });
  assert.equal(patch.status, 409);
  assert.equal(patch.json.error.code, 'domain_taken');
  assert.deepEqual((await acme.get('/v1/sites/shop')).json.site.domains, ['shop.example.com']);
});

test('concurrent creates claiming the same domain: exactly one wins', async (t) => {
  const h = await startController(t);
  const acme = await h.customer('acme');
  const globex = await h.customer('globex');
  const results = await Promise.all([
    acme.post('/v1/sites', staticSite('a1', { domains: ['shared.example.com'] })),
    globex.post('/v1/sites', staticSite('g1', { domains: ['shared.example.com'] })),
    acme.post('/v1/sites', staticSite('a2', { domains: ['x.example.com', 'shared.example.com'] })),
  ]);
  assert.deepEqual(results.map((r) => r.status).sort(), [201, 409, 409]);
});

test('concurrent scales all land (compare-and-swap retries)', async (t) => {
  const h = await startController(t);
  const acme = await h.customer('acme');
  await acme.post('/v1/sites', staticSite('blog'));
  const results = await Promise.all([1, 2, 3, 4].map((n) => acme.post('/v1/sites/blog/scale', { replicas: n })));
  assert.ok(results.every((r) => r.status === 200), results.map((r) => r.body).join('\n'));
});

test("a customer's own token asks at most customerMaxVs servers across its sites (an outside tester's customer took every slot of the engine); an admin may give more", async (t) => {
  const h = await startController(t, { customerMaxVs: 6 });
  const evil = await h.customer('evil');
  const app = (name: string, extra: Record<string, unknown> = {}) => staticSite(name, { kind: 'app', command: 'node server.js', pooled: false, ...extra });
  assert.equal((await evil.post('/v1/sites', app('f1', { replicas: 4 }))).status, 201);
  const over = await evil.post('/v1/sites', app('f2', { replicas: 3 }));
  assert.equal(over.status, 403);
  assert.equal(over.json.error.code, 'quota_exceeded');
  assert.match(over.json.error.message, /^customer evil would have 7 virtual servers of its own, more than the 6 this farm gives a customer/);
  assert.equal((await evil.get('/v1/sites/f2')).status, 404, 'nothing created');
  assert.equal((await evil.post('/v1/sites', app('f2', { replicas: 2 }))).status, 201, 'up to the quota');
  assert.equal((await evil.post('/v1/sites/f1/scale', { replicas: 5 })).status, 403, 'scale counts');
  assert.equal((await evil.patch('/v1/sites/f2', { autoscale: { minReplicas: 0, maxReplicas: 20 } })).status, 403, "an autoscaled site counts its max");
  assert.equal((await evil.post('/v1/sites/f1/scale', { replicas: 1 })).status, 200, 'scaling in is always allowed');
  for (let i = 0; i < 3; i++) assert.equal((await evil.post('/v1/sites', staticSite(`page${i}`))).status, 201, 'pooled static sites have no servers of their own');
  assert.equal((await h.admin.post('/v1/sites/f1/scale', { replicas: 10 })).status, 200, 'the operator may give more');
  assert.equal((await evil.patch('/v1/sites/f2', { env: { A: '1' } })).status, 200, 'over the quota by the operator\'s grant, other changes still go through');
  const other = await h.customer('acme');
  assert.equal((await other.post('/v1/sites', app('mine', { replicas: 6 }))).status, 201, 'per customer');
});

test("concurrent creates and scales of one customer cannot together pass customerMaxVs: each write's transaction carries the quota's guard", async (t) => {
  // every range read (the quota's site list) takes a while, so the requests interleave
  // between their check and their write, as they can on etcd
  const slowLists = (store: Store): Store => new Proxy(store, {
    get(target, prop) {
      const v: unknown = Reflect.get(target, prop);
      if (prop === 'range') return async (...args: Parameters<Store['range']>) => {
        const read = await target.range(...args);
        await delay(50); // the answer arrives late: others may write meanwhile
        return read;
      };
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  const h = await startController(t, { customerMaxVs: 6 }, slowLists);
  const evil = await h.customer('evil');
  const app = (name: string, replicas: number) => staticSite(name, { kind: 'app', command: 'node server.js', pooled: false, replicas });
  const creates = await Promise.all(Array.from({ length: 8 }, (_, i) => evil.post('/v1/sites', app(`f${i}`, 2))));
  const codes = creates.map((r) => r.status);
  assert.ok(codes.every((c) => c === 201 || c === 403 || c === 409), codes.join(' '));
  const servers = async () => ((await evil.get('/v1/sites')).json.sites as { replicas: number }[]).reduce((n, s) => n + s.replicas, 0);
  assert.ok((await servers()) <= 6, `at most 6 servers, got ${await servers()} (${codes.join(' ')})`);
  const made = creates.flatMap((r, i) => (r.status === 201 ? [`f${i}`] : []));
  assert.ok(made.length >= 1 && made.length <= 3, `one to three of 2 servers each: ${codes.join(' ')}`);
  // the sites made scaled to 1 each, then all asking 4 at once: the quota leaves room for one
  for (const name of made) assert.equal((await evil.post(`/v1/sites/${name}/scale`, { replicas: 1 })).status, 200);
  const scales = await Promise.all(made.map((name) => evil.post(`/v1/sites/${name}/scale`, { replicas: 4 })));
  assert.ok((await servers()) <= 6, `at most 6 after concurrent scales, got ${await servers()} (${scales.map((r) => r.status).join(' ')})`);
});

test('spa: set at creation, switched on and off by a PATCH (kept only when on), static sites only', async (t) => {
  const h = await startController(t);
  const acme = await h.customer('acme');
  const created = await acme.post('/v1/sites', staticSite('app', { spa: true }));
  assert.equal(created.status, 201, created.body);
  assert.equal(created.json.site.spa, true);
  const off = await acme.patch('/v1/sites/app', { spa: false });
  assert.equal(off.status, 200, off.body);
  assert.equal('spa' in off.json.site, false, 'off is the default: not kept');
  assert.equal((await acme.patch('/v1/sites/app', { spa: true })).json.site.spa, true);
  const bad = await acme.patch('/v1/sites/app', { spa: 'yes' });
  assert.equal(bad.status, 400, bad.body);
  assert.equal((await acme.get('/v1/sites/app')).json.site.spa, true, 'a refused change loses nothing');
  const app = await acme.post('/v1/sites', { name: 'api', kind: 'app', command: 'node server.js', domains: ['api.example.com'], spa: true });
  assert.equal(app.status, 400, app.body);
  assert.match(app.json.error.message, /spa is only for static sites/);
});
