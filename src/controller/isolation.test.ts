import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeTarball, staticSite, startController } from './test-harness.ts';

test("a customer cannot see or touch another customer's site: 404 as if it did not exist", async (t) => {
  const h = await startController(t, { engineLogs: { listVsLogs: async () => [], tail: async () => [], follow: () => () => {} } });
  const acme = await h.customer('acme');
  const globex = await h.customer('globex');
  assert.equal((await acme.post('/v1/sites', staticSite('blog'))).status, 201);
  const tarball = await makeTarball(t, { 'index.html': 'hi' });
  assert.equal((await acme.upload('/v1/sites/blog/releases', tarball)).status, 201);

  assert.deepEqual((await globex.get('/v1/sites')).json.sites, []);
  const attempts = [
    globex.get('/v1/sites/blog'),
    globex.patch('/v1/sites/blog', { replicas: 5 }),
    globex.post('/v1/sites/blog/scale', { replicas: 5 }),
    globex.delete('/v1/sites/blog'),
    globex.upload('/v1/sites/blog/releases', tarball),
    globex.get('/v1/sites/blog/releases'),
    globex.post('/v1/sites/blog/rollback'),
    globex.post('/v1/sites/blog/releases/v1/activate'),
    globex.get('/v1/sites/blog/status'),
    globex.get('/v1/sites/blog/logs'),
  ];
  for (const res of await Promise.all(attempts)) {
    assert.equal(res.status, 404, res.body);
    assert.equal(res.json.error.message, 'site blog not found');
  }
  const nonexistent = await globex.get('/v1/sites/nope');
  assert.equal(nonexistent.json.error.message, 'site nope not found', 'same answer as a site that does not exist');

  const site = (await acme.get('/v1/sites/blog')).json.site;
  assert.equal(site.replicas, 1);
  assert.equal(site.release, 'v1');
});

test('a customer cannot create a site for another customer, nor take its domain', async (t) => {
  const h = await startController(t);
  const acme = await h.customer('acme');
  const globex = await h.customer('globex');
  const forOther = await globex.post('/v1/sites', staticSite('evil', { customer: 'acme' }));
  assert.equal(forOther.status, 403);
  assert.equal((await globex.post('/v1/sites', staticSite('mine', { customer: 'globex' }))).status, 201);

  await acme.post('/v1/sites', staticSite('blog', { domains: ['acme.example.com'] }));
  const taken = await globex.post('/v1/sites', staticSite('fake', { domains: ['acme.example.com'] }));
  assert.equal(taken.status, 409);
  assert.equal(taken.json.error.code, 'domain_taken');
  const viaPatch = await globex.patch('/v1/sites/mine', { domains: ['acme.example.com'] });
  assert.equal(viaPatch.status, 409);
});

test('a customer token on admin-only routes gets 403', async (t) => {
  const h = await startController(t);
  const acme = await h.customer('acme');
  for (const res of [await acme.get('/v1/customers'), await acme.get('/v1/engines'), await acme.get(`/v1/blobs/${'a'.repeat(64)}`)]) {
    assert.equal(res.status, 403, res.body);
    assert.equal(res.json.error.code, 'forbidden');
  }
});

test("a taken site name or domain gets the same answer whoever holds it, and never names the holder's things", async (t) => {
  const h = await startController(t);
  const acme = await h.customer('acme');
  const globex = await h.customer('globex');
  assert.equal((await acme.post('/v1/sites', staticSite('blog', { domains: ['blog.acme.example', 'secret-staging.acme.example'] }))).status, 201);
  assert.equal((await globex.post('/v1/sites', staticSite('shop', { domains: ['shop.globex.example'] }))).status, 201);
  const answer = (r: { status: number; json: { error: { code: string; message: string; id: string } } }) => ({ status: r.status, code: r.json.error.code, message: r.json.error.message });

  // the same name, held by the caller itself or by another customer
  const own = await acme.post('/v1/sites', staticSite('shop', { domains: ['new.acme.example'] }));
  const other = await globex.post('/v1/sites', staticSite('shop', { domains: ['new.globex.example'] }));
  assert.deepEqual(answer(own), { status: 409, code: 'name_unavailable', message: 'site name shop is not available; choose another' });
  assert.deepEqual(answer(other), answer(own));

  // the same domain, held by the caller's other site or by another customer's
  const ownDomain = await globex.post('/v1/sites', staticSite('mine', { domains: ['shop.globex.example'] }));
  const otherDomain = await acme.post('/v1/sites', staticSite('mine', { domains: ['shop.globex.example'] }));
  assert.deepEqual(answer(ownDomain), { status: 409, code: 'domain_taken', message: 'domain shop.globex.example is not available: it, or a name it overlaps, is claimed by another site' });
  assert.deepEqual(answer(otherDomain), answer(ownDomain));

  // a wildcard over another customer's names: refused without naming them or their site
  const over = await globex.post('/v1/sites', staticSite('wild', { domains: ['*.acme.example'] }));
  assert.equal(over.status, 409);
  assert.doesNotMatch(over.body, /secret-staging|blog|acme(?!\.example)/);
  const viaPatch = await globex.patch('/v1/sites/shop', { domains: ['shop.globex.example', 'blog.acme.example'] });
  assert.deepEqual(answer(viaPatch), { status: 409, code: 'domain_taken', message: 'domain blog.acme.example is not available: it, or a name it overlaps, is claimed by another site' });
});
