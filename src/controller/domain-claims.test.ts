// Domain claims through the API (the rules are domain-rules.ts, tried name by name in
// domain-rules.test.ts): a customer claiming localhost, an address, a single label, a public
// suffix or a name the farm reserved gets 400 domain_reserved on create and on patch, and
// nothing is written; an admin may give a site the farm's reserved names, never the others.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { keys } from '../model/index.ts';
import { startController, type Reply } from './test-harness.ts';

const HOSTILE = [
  'localhost', '*.localhost', 'console.localhost', 'corral.localhost', '127.0.0.1', '10.213.146.1', '0x7f000001', '2130706433',
  '127.1', '0177.0.0.1', 'test', 'co.uk', 'com', '*.com', '*.co.uk', 'github.io', '*.github.io',
];
const RESERVED = ['api.farm.example', '*.sites.farm.example'];

test('a customer cannot claim localhost, addresses, single labels or public suffixes: not on create, not on patch', async (t) => {
  const h = await startController(t, { reservedDomains: RESERVED });
  const acme = await h.customer('acme');
  for (const domain of HOSTILE) {
    assertReserved(await acme.post('/v1/sites', { name: 'grab', kind: 'static', domains: ['ok.acme.example', domain] }), domain);
  }
  assert.deepEqual((await acme.get('/v1/sites')).json.sites, [], 'no site was created');
  assert.equal((await h.store.range(keys.domains)).kvs.length, 0, 'no domain was claimed');

  assert.equal((await acme.post('/v1/sites', { name: 'www', kind: 'static', domains: ['www.acme.example'] })).status, 201);
  for (const domain of HOSTILE) assertReserved(await acme.patch('/v1/sites/www', { domains: ['www.acme.example', domain] }), domain);
  assert.deepEqual((await acme.get('/v1/sites/www')).json.site.domains, ['www.acme.example'], 'the site kept its domains');
  assert.deepEqual((await h.store.range(keys.domains)).kvs.map((kv) => kv.key), [keys.domain('www.acme.example')]);
});

test('IPv6 literals never pass the hostname pattern', async (t) => {
  const h = await startController(t);
  const acme = await h.customer('acme');
  for (const domain of ['::1', '[::1]', '[::ffff:127.0.0.1]']) {
    const res = await acme.post('/v1/sites', { name: 'grab', kind: 'static', domains: [domain] });
    assert.equal(res.status, 400, domain);
    assert.equal(res.json.error.code, 'invalid_request', domain);
  }
});

test("the farm's reserved names: refused to customers, an admin may give them to a site", async (t) => {
  const h = await startController(t, { reservedDomains: RESERVED });
  const acme = await h.customer('acme');
  for (const domain of ['api.farm.example', 'x.sites.farm.example', 'a.b.sites.farm.example', '*.sites.farm.example', '*.farm.example']) {
    assertReserved(await acme.post('/v1/sites', { name: 'grab', kind: 'static', domains: [domain] }), domain, /reserved by the farm/);
  }
  assert.equal((await acme.post('/v1/sites', { name: 'own', kind: 'static', domains: ['www.farm.example', 'sites.farm.example'] })).status, 201, 'names beside the reserved ones are free');

  const given = await h.admin.post('/v1/sites', { name: 'status', customer: 'acme', kind: 'static', domains: ['api.farm.example'] });
  assert.equal(given.status, 201, given.body);
  const keep = await acme.patch('/v1/sites/status', { domains: ['api.farm.example', 'status.acme.example'], replicas: 2 });
  assert.equal(keep.status, 200, `a customer keeps the reserved name it was given: ${keep.body}`);
  assertReserved(await acme.patch('/v1/sites/status', { domains: ['api.farm.example', 'x.sites.farm.example'] }), 'x.sites.farm.example');
  assert.equal((await h.admin.patch('/v1/sites/status', { domains: ['api.farm.example', 'x.sites.farm.example'] })).status, 200);

  for (const domain of ['localhost', '127.0.0.1', '*.com']) {
    assertReserved(await h.admin.post('/v1/sites', { name: 'admin-grab', customer: 'acme', kind: 'static', domains: [domain] }), domain);
  }
});

test('a bad reserved list is refused when the controller is built', async (t) => {
  await assert.rejects(startController(t, { reservedDomains: ['ok.example', 'not a host'] }), /reserved domain "not a host" is not a hostname/);
});

function assertReserved(res: Reply, domain: string, reason?: RegExp): void {
  assert.equal(res.status, 400, `${domain}: ${res.body}`);
  assert.equal(res.json.error.code, 'domain_reserved', domain);
  assert.ok(res.json.error.message.startsWith(`domain ${domain} cannot be claimed: `), res.json.error.message);
  if (reason) assert.match(res.json.error.message, reason);
}
