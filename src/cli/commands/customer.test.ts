import { test } from 'node:test';
import assert from 'node:assert/strict';
import { staticSite } from '../../controller/test-harness.ts';
import { corralBin, startCliHarness } from '../cli-testing.ts';

test('corral customer delete: refused while it has sites; --cascade --yes deletes them; its token stops working', async (t) => {
  const h = await startCliHarness(t);
  const acme = await h.customer('acme');
  await h.customer('globex');
  assert.equal((await acme.post('/v1/sites', staticSite('blog'))).status, 201);

  const refused = await h.corral(['customer', 'delete', 'acme']);
  assert.equal(refused.code, 1);
  assert.match(refused.err, /^error: customer acme still has 1 site\(s\) \(blog\): delete them first, or run corral customer delete acme --cascade/);
  const byCustomer = await h.corral(['customer', 'delete', 'globex'], acme.token!);
  assert.equal(byCustomer.code, 1, 'a customer token may not');
  assert.match(byCustomer.err, /error: /);

  const done = await h.corral(['customer', 'delete', 'acme', '--cascade', '--yes']);
  assert.equal(done.code, 0, done.err);
  assert.match(done.out, /^customer acme deleted with its sites blog; its tokens no longer work$/);
  assert.equal((await h.admin.get('/v1/sites/blog')).status, 404);
  const after = await h.corral(['site', 'list'], acme.token!);
  assert.equal(after.code, 1);
  assert.match(after.err, /error: /);
  const list = await h.corral(['--quiet', 'customer', 'list']);
  assert.equal(list.out, 'globex', '--quiet lists names only');
  const missing = await h.corral(['customer', 'delete', 'acme']);
  assert.match(missing.err, /^error: customer acme not found$/);
});

test('corral customer delete --cascade asks first (the real binary, answer on stdin): no deletes nothing', async (t) => {
  const h = await startCliHarness(t);
  const acme = await h.customer('acme');
  assert.equal((await acme.post('/v1/sites', staticSite('blog'))).status, 201);
  const env = { CORRAL_API: h.url, CORRAL_TOKEN: h.admin.token! };
  const no = await corralBin(['customer', 'delete', 'acme', '--cascade'], env, 'n\n');
  assert.equal(no.code, 1);
  assert.match(no.err, /Delete customer acme and its 1 site\(s\): blog\? This cannot be undone\. \[y\/N\]/);
  assert.match(no.err, /error: not deleted/);
  const eof = await corralBin(['customer', 'delete', 'acme', '--cascade'], env, '');
  assert.equal(eof.code, 1, 'no answer (end of input) is no');
  assert.equal((await acme.get('/v1/sites/blog')).status, 200, 'nothing deleted');
  const yes = await corralBin(['customer', 'delete', 'acme', '--cascade'], env, 'yes\n');
  assert.equal(yes.code, 0, yes.err);
  assert.equal((await h.admin.get('/v1/customers/acme')).status, 404);
});
