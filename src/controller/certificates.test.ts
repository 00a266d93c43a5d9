import assert from 'node:assert/strict';
import { test } from 'node:test';
import { keys } from '../model/index.ts';
import { selfSigned } from '../lib/tls-testing.ts';
import { staticSite, startController } from './test-harness.ts';

test('a site owner uploads, lists and removes its certificate; the key is never returned', async (t) => {
  const h = await startController(t);
  const acme = await h.customer('acme');
  assert.equal((await acme.post('/v1/sites', staticSite('blog', { domains: ['blog.example.com', '*.blog.example.com'] }))).status, 201);
  const pem = selfSigned(t, 'blog.example.com', ['DNS:blog.example.com', 'DNS:*.blog.example.com']);
  const up = await acme.post('/v1/sites/blog/certificates', pem);
  assert.equal(up.status, 201, up.body);
  assert.deepEqual(up.json.certificate.sans, ['blog.example.com', '*.blog.example.com']);
  assert.match(up.json.certificate.fingerprint256, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  const listed = await acme.get('/v1/sites/blog/certificates');
  assert.equal(listed.status, 200);
  assert.equal(listed.json.certificates.length, 1);
  assert.equal(listed.json.certificates[0].subject, 'CN=blog.example.com');
  assert.ok(Date.parse(listed.json.certificates[0].notAfter) > Date.now());
  for (const r of [up, listed]) assert.ok(!r.body.includes('PRIVATE KEY') && !r.body.includes(pem.key.split('\n')[1]!), 'no key material in a reply');
  const stored = JSON.parse((await h.store.get(keys.certificate('blog')))!.value) as { key: string };
  assert.equal(stored.key, pem.key, 'the router reads the key from the store');

  assert.equal((await acme.delete('/v1/sites/blog/certificates')).status, 204);
  assert.deepEqual((await acme.get('/v1/sites/blog/certificates')).json.certificates, []);
  assert.equal((await acme.delete('/v1/sites/blog/certificates')).status, 404);
});

test('a bad upload is a clear 400 and stores nothing', async (t) => {
  const h = await startController(t);
  const acme = await h.customer('acme');
  await acme.post('/v1/sites', staticSite('blog'));
  const good = selfSigned(t, 'blog.example.com', ['DNS:blog.example.com']);
  const other = selfSigned(t, 'blog.example.com', ['DNS:blog.example.com']);
  const wrongName = selfSigned(t, 'x.example.com', ['DNS:x.example.com']);
  const cases: Array<[unknown, RegExp]> = [
    [{ cert: good.cert, key: other.key }, /does not match/],
    [{ cert: 'hello', key: good.key }, /body\.cert is not a PEM/],
    [{ cert: good.cert, key: 'nope' }, /body\.key is not/],
    [wrongName, /does not cover .*blog\.example\.com/],
  ];
  for (const [body, message] of cases) {
    const r = await acme.post('/v1/sites/blog/certificates', body);
    assert.equal(r.status, 400, r.body);
    assert.equal(r.json.error.code, 'certificate_invalid');
    assert.match(r.json.error.message, message);
  }
  assert.equal((await acme.post('/v1/sites/blog/certificates', { cert: good.cert })).status, 400, 'key is required');
  assert.equal((await h.store.range(keys.certificates)).kvs.length, 0);
});

test("another customer can neither read, replace nor remove a site's certificate; deleting the site removes it", async (t) => {
  const h = await startController(t);
  const acme = await h.customer('acme');
  const evil = await h.customer('evil');
  await acme.post('/v1/sites', staticSite('blog'));
  const pem = selfSigned(t, 'blog.example.com', ['DNS:blog.example.com']);
  assert.equal((await acme.post('/v1/sites/blog/certificates', pem)).status, 201);
  assert.equal((await evil.get('/v1/sites/blog/certificates')).status, 404);
  assert.equal((await evil.post('/v1/sites/blog/certificates', pem)).status, 404);
  assert.equal((await evil.delete('/v1/sites/blog/certificates')).status, 404);
  assert.equal((await h.admin.get('/v1/sites/blog/certificates')).json.certificates.length, 1, 'admin may');
  assert.equal((await acme.delete('/v1/sites/blog')).status, 204);
  assert.equal(await h.store.get(keys.certificate('blog')), undefined);
});
