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
    [staticSite('blog', { env: { PORT: '80' } }), /body\.env key "PORT" must be .*PORT, HOST and CORRAL_\* are reserved/],
    [staticSite('blog', { env: { CORRAL_SITE: 'x' } }), /body\.env key "CORRAL_SITE" must be .*reserved/],
    [staticSite('blog', { env: { lower: 'x' } }), /body\.env key "lower" must be uppercase letters, digits or "_"/],
    [staticSite('blog', { domains: ['Blog.Example.com'] }), /body\.domains\[0\] must be a lowercase hostname/],
    [staticSite('blog', { domains: [] }), /body\.domains/],
    [staticSite('blog', { replicas: 21 }), /body\.replicas/],
    [staticSite('blog', { kind: 'php' }), /body\.kind must be one of "static", "app"/],
    [{ kind: 'static', domains: ['a.example.com'] }, /body is missing required field "name"/],
    // values that reach the router, the engine or the guest (src/model/schemas.ts)
    [staticSite('blog', { healthPath: '/a b' }), /body\.healthPath must be a URL path .*percent-encoded/],
    [staticSite('blog', { healthPath: '/x\r\nHost: evil' }), /body\.healthPath must be a URL path/],
    [staticSite('blog', { healthPath: 'health' }), /body\.healthPath must be a URL path/],
    [staticSite('blog', { healthPath: '/caf\u00e9' }), /body\.healthPath must be a URL path/],
    [staticSite('blog', { healthPath: '/bad%zz' }), /body\.healthPath must be a URL path/],
    [staticSite('blog', { healthCheck: { path: '/a\tb' } }), /body\.healthCheck\.path must be a URL path/],
    [staticSite('blog', { env: { A: 'x\u0000y' } }), /body\.env\.A must be text without NUL/],
    [staticSite('blog', { env: { ['A'.repeat(200)]: 'x' } }), /body\.env key "A{200}" must not have more than 128/],
    [staticSite('blog', { env: Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`V${i}`, 'x'.repeat(30_000)])) }), /body\.env is \d+ bytes .* at most 131072/],
    [staticSite('blog', { kind: 'app', command: 'node\u0000server.js' }), /body\.command must be one line of text without control characters/],
    [staticSite('blog', { kind: 'app', command: 'node server.js\nrm -rf /' }), /body\.command must be one line/],
    [staticSite('blog', { errorPages: { 502: '<p>\u0000</p>' } }), /body\.errorPages\[502\] must be text without NUL/],
    [staticSite('blog', { maintenance: { page: 'a\u0000' } }), /body\.maintenance\.page must be text without NUL/],
    [staticSite('blog', { maintenance: { allowIps: ['10.0.0.1\r\n'] } }), /body\.maintenance\.allowIps\[0\] must be one line/],
    [staticSite('blog', { maintenance: { allowIps: ['not-an-ip'] } }), /body\.maintenance\.allowIps\[0\] "not-an-ip" must be an IP address/],
    [staticSite('blog', { balance: { policy: 'weighted', weights: { 'Engine 1': 2 } } }), /body\.balance\.weights key "Engine 1" must be an engine id/],
    [staticSite('blog', { balance: { policy: 'sticky', key: 'a\r\nb' } }), /body\.balance\.key must be a header or cookie name/],
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
