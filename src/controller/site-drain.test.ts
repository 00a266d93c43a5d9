// A site's drain timeout through the API: stored at creation, changed by a PATCH, kept
// when not given, refused out of range with nothing stored. (Its timing: plan.test.ts.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { staticSite, startController } from './test-harness.ts';

test('a site sets its drain timeout at creation; a PATCH changes it; other patches keep it', async (t) => {
  const h = await startController(t);
  const acme = await h.customer('acme');
  const created = await acme.post('/v1/sites', staticSite('blog', { drainTimeoutMs: 30_000 }));
  assert.equal(created.status, 201, created.body);
  assert.equal(created.json.site.drainTimeoutMs, 30_000);
  const plain = await acme.post('/v1/sites', staticSite('docs'));
  assert.equal(plain.json.site.drainTimeoutMs, undefined, 'absent: the default applies');

  const patched = await acme.patch('/v1/sites/blog', { drainTimeoutMs: 0 });
  assert.equal(patched.status, 200, patched.body);
  assert.equal(patched.json.site.drainTimeoutMs, 0);
  const other = await acme.patch('/v1/sites/blog', { replicas: 2 });
  assert.equal(other.json.site.drainTimeoutMs, 0, 'kept when not given');
  const hour = await acme.patch('/v1/sites/blog', { drainTimeoutMs: 3_600_000 });
  assert.equal(hour.json.site.drainTimeoutMs, 3_600_000, 'an hour is the most');
});

test('a drain timeout out of range or not whole milliseconds gets a 400 naming the field; nothing is stored', async (t) => {
  const h = await startController(t);
  const acme = await h.customer('acme');
  assert.equal((await acme.post('/v1/sites', staticSite('blog', { drainTimeoutMs: 1000 }))).status, 201);
  const cases: Array<[unknown, RegExp]> = [
    [-1, /^body\.drainTimeoutMs must be >= 0$/],
    [3_600_001, /^body\.drainTimeoutMs must be <= 3600000$/],
    [1.5, /^body\.drainTimeoutMs must be integer$/],
    ['30s', /^body\.drainTimeoutMs must be integer$/],
    [null, /^body\.drainTimeoutMs must be integer$/],
  ];
  for (const [drainTimeoutMs, message] of cases) {
    const reply = await acme.patch('/v1/sites/blog', { drainTimeoutMs });
    assert.equal(reply.status, 400, JSON.stringify(drainTimeoutMs));
    assert.match(reply.json.error.message, message, reply.json.error.message);
    const create = await acme.post('/v1/sites', staticSite('docs', { drainTimeoutMs }));
    assert.equal(create.status, 400, `create with ${JSON.stringify(drainTimeoutMs)}`);
  }
  assert.equal((await acme.get('/v1/sites/blog')).json.site.drainTimeoutMs, 1000, 'nothing was stored');
  assert.equal((await acme.get('/v1/sites/docs')).status, 404);
});
