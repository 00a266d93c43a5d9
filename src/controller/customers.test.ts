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
  // a token's name is shown in the admin's terminal (tokens, events): no control characters (an OSC 52 clipboard write, a screen clear)
  const hostile = await acme.post('/v1/customers/acme/tokens', { name: 'ci\u001b]52;c;ZWNobyBwd25lZA==\u0007\u001b[2J' });
  assert.equal(hostile.status, 400);
  assert.match(hostile.json.error.message, /body\.name must be one line of text without control characters/);
  assert.equal((await h.admin.post('/v1/join-tokens', { name: 'e1\u001b[2J' })).status, 400);
});

test("a customer lists and revokes its own tokens, never another customer's: ids only, the revoked token refused at once", async (t) => {
  const h = await startController(t);
  const acme = await h.customer('acme');
  const globex = await h.customer('globex');
  const ci = (await acme.post('/v1/customers/acme/tokens', { name: 'ci' })).json.token as string;
  const listed = await acme.get('/v1/customers/acme/tokens');
  assert.equal(listed.status, 200);
  const tokens = listed.json.tokens as { id: string; name: string; createdAt: string; current: boolean }[];
  assert.deepEqual(tokens.map((x) => [x.name, x.current]), [['first', true], ['ci', false]], 'oldest first; the caller\'s own marked');
  for (const x of tokens) assert.match(x.id, /^[a-f0-9]{12}$/);
  assert.doesNotMatch(JSON.stringify(listed.json), /crl_/, 'no token is ever shown again');

  // globex's tokens: not listed, not revocable, not even under acme's own name
  const globexIds = ((await globex.get('/v1/customers/globex/tokens')).json.tokens as { id: string }[]).map((x) => x.id);
  assert.equal((await acme.get('/v1/customers/globex/tokens')).status, 404);
  assert.equal((await acme.delete(`/v1/customers/globex/tokens/${globexIds[0]}`)).status, 404);
  assert.equal((await acme.delete(`/v1/customers/acme/tokens/${globexIds[0]}`)).status, 404);
  assert.equal((await globex.get('/v1/whoami')).status, 200, "globex's token still works");
  assert.equal((await acme.delete('/v1/customers/acme/tokens/not-an-id')).status, 400);

  const ciId = tokens.find((x) => x.name === 'ci')!.id;
  assert.equal((await h.client(ci).get('/v1/whoami')).status, 200);
  assert.equal((await acme.delete(`/v1/customers/acme/tokens/${ciId}`)).status, 204);
  assert.equal((await h.client(ci).get('/v1/whoami')).status, 401, 'revoked: refused at once');
  assert.equal((await acme.delete(`/v1/customers/acme/tokens/${ciId}`)).status, 404, 'gone');
  assert.deepEqual(((await acme.get('/v1/customers/acme/tokens')).json.tokens as { name: string }[]).map((x) => x.name), ['first']);

  // an admin may do it for any customer (no token of its own among them)
  const adminView = (await h.admin.get('/v1/customers/globex/tokens')).json.tokens as { id: string; current: boolean }[];
  assert.deepEqual(adminView.map((x) => x.current), [false]);
  assert.equal((await h.admin.delete(`/v1/customers/globex/tokens/${adminView[0]!.id}`)).status, 204);
  assert.equal((await globex.get('/v1/whoami')).status, 401);
});
