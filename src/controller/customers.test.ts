import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startController } from './test-harness.ts';

test('an admin creates a customer and gets its first token', async (t) => {
  const h = await startController(t);
  const res = await h.admin.post('/v1/customers', { name: 'acme' });
  assert.equal(res.status, 201);
  assert.equal(res.json.customer.id, 'acme');
  assert.equal(res.json.customer.name, 'acme');
  assert.match(res.json.token, /^crl_[A-Za-z0-9_-]{43}$/);
  const list = await h.admin.get('/v1/customers');
  assert.deepEqual(list.json.customers.map((c: { id: string }) => c.id), ['acme']);
  assert.deepEqual((await h.client(res.json.token).get('/v1/whoami')).json, { role: 'customer', customer: 'acme' });
});

test('a customer name is unique', async (t) => {
  const h = await startController(t);
  await h.customer('acme');
  const res = await h.admin.post('/v1/customers', { name: 'acme' });
  assert.equal(res.status, 409);
  assert.equal(res.json.error.code, 'already_exists');
});

test('customer routes are admin-only, except a customer reading itself and making tokens', async (t) => {
  const h = await startController(t);
  const acme = await h.customer('acme');
  await h.customer('globex');
  assert.equal((await acme.post('/v1/customers', { name: 'evil' })).status, 403);
  assert.equal((await acme.get('/v1/customers')).status, 403);
  assert.equal((await acme.get('/v1/customers/acme')).json.customer.id, 'acme');
  assert.equal((await acme.get('/v1/customers/globex')).status, 404);
  assert.equal((await acme.post('/v1/customers/globex/tokens', {})).status, 404);

  const made = await acme.post('/v1/customers/acme/tokens', { name: 'ci' });
  assert.equal(made.status, 201);
  assert.deepEqual((await h.client(made.json.token).get('/v1/whoami')).json, { role: 'customer', customer: 'acme' });
  assert.equal((await h.admin.post('/v1/customers/globex/tokens', {})).status, 201);
  assert.equal((await h.admin.post('/v1/customers/nobody/tokens', {})).status, 404);
});
