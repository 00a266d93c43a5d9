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

test('corral customer token --name, tokens and revoke-token: a customer manages its own tokens; the revoked one stops working', async (t) => {
  const h = await startCliHarness(t);
  const acme = await h.customer('acme');
  await h.customer('globex');
  const made = await h.corral(['customer', 'token', 'acme', '--name', 'ci'], acme.token!);
  assert.equal(made.code, 0, made.err);
  const ci = made.out.trim();
  assert.match(ci, /^crl_/);
  const listed = await h.corral(['customer', 'tokens', 'acme'], acme.token!);
  assert.equal(listed.code, 0, listed.err);
  const lines = listed.out.split('\n');
  assert.match(lines[0]!, /^ID\s+NAME\s+CREATED\s+IN USE$/);
  assert.match(lines[1]!, /^[a-f0-9]{12}\s+first\s+\S+\s+this one$/);
  assert.match(lines[2]!, /^[a-f0-9]{12}\s+ci\s+\S+\s*$/);
  const ids = (await h.corral(['-q', 'customer', 'tokens', 'acme'], acme.token!)).out.split('\n');
  assert.equal(ids.length, 2);
  const refused = await h.corral(['customer', 'tokens', 'globex'], acme.token!);
  assert.match(refused.err, /^error: customer globex not found$/);
  const revoked = await h.corral(['customer', 'revoke-token', 'acme', ids[1]!], acme.token!);
  assert.equal(revoked.code, 0, revoked.err);
  assert.match(revoked.out, /^token [a-f0-9]{12} of customer acme revoked$/);
  assert.equal((await h.client(ci).get('/v1/whoami')).status, 401);
  const again = await h.corral(['customer', 'revoke-token', 'acme', ids[1]!], acme.token!);
  assert.equal(again.code, 1);
  assert.match(again.err, /^error: token [a-f0-9]{12} of customer acme not found$/);
});

test('corral site create and customer create: a name the API would refuse is refused by the CLI first, in its own words (not "body.name"), and nothing is created', async (t) => {
  const h = await startCliHarness(t);
  await h.customer('acme');
  const site = await h.corral(['site', 'create', 'z', '--customer', 'acme', '--domain', 'z.acme.test']);
  assert.equal(site.code, 1);
  assert.match(site.err, /^error: site name "z" must be 2–40 lowercase letters, digits or dashes, starting with a letter and not ending with a dash$/m);
  const upper = await h.corral(['site', 'create', 'Shop', '--customer', 'acme', '--domain', 'shop.acme.test']);
  assert.match(upper.err, /^error: site name "Shop" must be/m);
  const customer = await h.corral(['customer', 'create', '9lives']);
  assert.equal(customer.code, 1);
  assert.match(customer.err, /^error: customer name "9lives" must be 2–39 lowercase letters, digits or dashes, starting with a letter$/m);
  assert.deepEqual(((await h.admin.get('/v1/sites')).json as { sites: unknown[] }).sites, []);
  assert.equal((await h.corral(['site', 'create', 'ok', '--customer', 'acme', '--domain', 'ok.acme.test'])).code, 0, 'a valid name still goes through');
});
