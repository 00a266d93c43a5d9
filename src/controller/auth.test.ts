import assert from 'node:assert/strict';
import { test } from 'node:test';
import { keys } from '../model/index.ts';
import { generateToken, hashToken, issueToken } from './tokens.ts';
import { startController } from './test-harness.ts';

test('health needs no token', async (t) => {
  const h = await startController(t);
  const res = await h.client(undefined).get('/v1/health');
  assert.equal(res.status, 200);
  assert.deepEqual(res.json, { ok: true });
});

test('a missing, malformed or unknown token gets 401 with the error shape', async (t) => {
  const h = await startController(t);
  for (const token of [undefined, 'nope', generateToken()]) {
    const res = await h.client(token).get('/v1/sites');
    assert.equal(res.status, 401, `token ${token}`);
    assert.equal(res.json.error.code, 'unauthorized');
    assert.match(res.json.error.id, /^req_[0-9a-f]{16}$/);
    assert.equal(res.headers['x-request-id'], res.json.error.id);
  }
});

test('401 comes before validation: no token and a bad body still answers 401', async (t) => {
  const h = await startController(t);
  const res = await h.client(undefined).post('/v1/sites', { bogus: true });
  assert.equal(res.status, 401);
});

test('only the token hash is stored', async (t) => {
  const h = await startController(t);
  const customer = await h.customer('acme');
  const kv = await h.store.get(keys.token(hashToken(customer.token!)));
  assert.ok(kv);
  const { kvs } = await h.store.range(keys.tokens);
  assert.ok(kvs.every((x) => !x.key.includes(customer.token!) && !x.value.includes(customer.token!)));
});

test('whoami tells the role and the customer', async (t) => {
  const h = await startController(t);
  assert.deepEqual((await h.admin.get('/v1/whoami')).json, { role: 'admin' });
  const acme = await h.customer('acme');
  assert.deepEqual((await acme.get('/v1/whoami')).json, { role: 'customer', customer: 'acme' });
});

test('an engine token may fetch blobs but not read sites', async (t) => {
  const h = await startController(t);
  const engine = h.client(await issueToken(h.store, { role: 'engine', name: 'engine-1' }));
  assert.equal((await engine.get('/v1/sites')).status, 403);
  assert.equal((await engine.get(`/v1/blobs/${'a'.repeat(64)}`)).status, 404);
});

test('an unknown route is a 404 in the error shape', async (t) => {
  const h = await startController(t);
  const res = await h.admin.get('/v1/nope');
  assert.equal(res.status, 404);
  assert.equal(res.json.error.code, 'not_found');
});
