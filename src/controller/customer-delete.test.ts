import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitFor } from '../lib/wait.ts';
import { keys, type Assignment, type FarmEvent } from '../model/index.ts';
import { staticSite, startController } from './test-harness.ts';

test('DELETE /v1/customers/:id: admin only, refused while it has sites, cascade deletes them; its tokens stop working', async (t) => {
  const h = await startController(t);
  const acme = await h.customer('acme');
  const second = (await acme.post('/v1/customers/acme/tokens', { name: 'ci' })).json.token as string;
  const globex = await h.customer('globex');
  assert.equal((await acme.post('/v1/sites', staticSite('blog'))).status, 201);
  assert.equal((await acme.post('/v1/sites', staticSite('shop'))).status, 201);

  assert.equal((await acme.delete('/v1/customers/acme')).status, 403, 'a customer cannot delete itself');
  assert.equal((await globex.delete('/v1/customers/acme')).status, 403);
  assert.equal((await h.admin.delete('/v1/customers/nobody')).status, 404);
  assert.equal((await h.admin.delete('/v1/customers/acme?cascade=maybe')).status, 400);

  const refused = await h.admin.delete('/v1/customers/acme');
  assert.equal(refused.status, 409);
  assert.equal(refused.json.error.code, 'customer_has_sites');
  assert.match(refused.json.error.message, /still has 2 site\(s\) \(blog, shop\)/);
  assert.equal((await acme.get('/v1/sites/blog')).status, 200, 'nothing deleted');

  const done = await h.admin.delete('/v1/customers/acme?cascade=true');
  assert.equal(done.status, 200, done.body);
  assert.deepEqual(done.json.deletedSites.sort(), ['blog', 'shop']);
  assert.equal((await h.admin.get('/v1/sites/blog')).status, 404);
  assert.equal((await h.admin.get('/v1/customers/acme')).status, 404);
  assert.equal((await acme.get('/v1/sites')).status, 401, 'its first token is gone');
  assert.equal((await h.client(second).get('/v1/sites')).status, 401, 'and every other');
  assert.equal((await globex.get('/v1/sites')).status, 200, 'other customers keep theirs');
  const domains = (await h.store.range(keys.domain(''))).kvs.map((kv) => kv.key);
  assert.deepEqual(domains, [], 'the domains are free again');
  assert.equal((await h.admin.post('/v1/customers', { name: 'acme' })).status, 201, 'the name can be used again');

  const empty = await h.admin.delete('/v1/customers/globex');
  assert.equal(empty.status, 200, 'a customer without sites goes without cascade');
  const audit = await waitFor(async () => {
    const events = (await h.admin.get('/v1/events?type=audit')).json.events as FarmEvent[];
    const mine = events.filter((e) => e.action === 'customer.delete');
    return mine.some((e) => e.target === 'customer/globex') ? mine : undefined;
  }, { timeoutMs: 5000, what: 'the audit events' });
  assert.deepEqual(audit.map((e) => `${e.target} ${e.status}`).reverse(), [
    'customer/acme 403', 'customer/acme 403', 'customer/nobody 404', 'customer/acme 400', 'customer/acme 409', 'customer/acme 200', 'customer/globex 200',
  ]);
});

test('a failed vs exec is audited on the virtual server, with its site', async (t) => {
  const h = await startController(t);
  const acme = await h.customer('acme');
  assert.equal((await acme.post('/v1/sites', staticSite('blog'))).status, 201);
  const a: Assignment = {
    vs: 'blog-1', engine: 'e1', site: 'blog', customer: 'acme', kind: 'static', release: 'v1', sha256: 'a'.repeat(64),
    healthPath: '/', env: {}, domains: ['blog.example.com'], createdAt: new Date().toISOString(),
  };
  await h.store.put(keys.assignment('e1', 'blog-1'), JSON.stringify(a));
  assert.equal((await h.admin.post('/v1/vs/blog-1/exec', { argv: ['true'] })).status, 501, 'no exec in this controller');
  assert.equal((await h.admin.post('/v1/vs/ghost-1/exec', { argv: ['true'] })).status, 404);
  const events = await waitFor(async () => {
    const e = ((await h.admin.get('/v1/events?type=audit')).json.events as FarmEvent[]).filter((x) => x.action === 'vs.exec');
    return e.length === 2 ? e : undefined;
  }, { timeoutMs: 5000, what: 'the audit events' });
  const [ghost, blog] = events;
  assert.deepEqual([blog?.target, blog?.site, blog?.customer, blog?.result, blog?.status], ['vs/blog-1', 'blog', 'acme', 'error', 501]);
  assert.deepEqual([ghost?.target, ghost?.site, ghost?.result, ghost?.status], ['vs/ghost-1', undefined, 'error', 404]);
  assert.ok(!events.some((e) => e.target?.includes('undefined')));
  const mine = ((await acme.get('/v1/events?site=blog')).json.events as FarmEvent[]).filter((x) => x.action === 'vs.exec');
  assert.equal(mine.length, 1, 'the owner sees the exec on its site');
});
