import assert from 'node:assert/strict';
import { test } from 'node:test';
import { staticSite, startController } from './test-harness.ts';

test('invalid site input gets 400 with a message naming the field', async (t) => {
  const h = await startController(t);
  const acme = await h.customer('acme');
  const cases: [Record<string, unknown>, RegExp][] = [
    [staticSite('bad_name'), /body\.name must be 2–40 lowercase letters/],
    [staticSite('x'), /body\.name/],
    [staticSite('blog', { colour: 'red' }), /body has unknown field "colour"/],
    [staticSite('blog', { kind: 'app' }), /body\.command is required when kind is "app"/],
    [staticSite('blog', { command: 'node server.js' }), /body\.command is not allowed/],
    [staticSite('blog', { env: { PORT: '80' } }), /body\.env key "PORT" is reserved/],
    [staticSite('blog', { env: { CORRAL_SITE: 'x' } }), /body\.env key "CORRAL_SITE" is reserved/],
    [staticSite('blog', { env: { lower: 'x' } }), /body\.env key "lower" must match/],
    [staticSite('blog', { domains: ['Blog.Example.com'] }), /body\.domains\[0\] must be a lowercase hostname/],
    [staticSite('blog', { domains: [] }), /body\.domains/],
    [staticSite('blog', { replicas: 21 }), /body\.replicas/],
    [staticSite('blog', { kind: 'php' }), /body\.kind must be one of "static", "app"/],
    [{ kind: 'static', domains: ['a.example.com'] }, /body is missing required field "name"/],
  ];
  for (const [body, message] of cases) {
    const res = await acme.post('/v1/sites', body);
    assert.equal(res.status, 400, `${JSON.stringify(body)} → ${res.body}`);
    assert.equal(res.json.error.code, 'invalid_request');
    assert.match(res.json.error.message, message);
  }
  assert.deepEqual((await acme.get('/v1/sites')).json.sites, [], 'nothing was written');
});

test('app sites with a command are accepted; patches are checked the same way', async (t) => {
  const h = await startController(t);
  const acme = await h.customer('acme');
  const res = await acme.post('/v1/sites', staticSite('api', { kind: 'app', command: 'node server.js', env: { NODE_ENV: 'production' } }));
  assert.equal(res.status, 201, res.body);
  assert.equal((await acme.patch('/v1/sites/api', { env: { HOST: 'x' } })).status, 400);
  assert.equal((await acme.patch('/v1/sites/api', { name: 'other' })).status, 400);
  assert.equal((await acme.post('/v1/sites/api/scale', { replicas: -1 })).status, 400);
});

test('malformed JSON and unknown query parameters get 400', async (t) => {
  const h = await startController(t);
  const bad = await h.app.inject({
    method: 'POST', url: '/v1/customers', payload: '{"name":', headers: { authorization: `Bearer ${h.admin.token}`, 'content-type': 'application/json' },
  });
  assert.equal(bad.statusCode, 400);
  assert.equal(JSON.parse(bad.body).error.code, 'invalid_json');
  const query = await h.admin.get('/v1/sites/blog/logs?lines=3');
  assert.equal(query.status, 400);
  assert.match(query.json.error.message, /querystring has unknown field "lines"/);
});
