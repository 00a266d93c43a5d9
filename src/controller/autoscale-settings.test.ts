// Autoscaling settings through the API: what is stored, how `replicas` and `scale`
// interact, and hostile or inconsistent values refused with 400s that name the field
// (the CLI's flags: src/cli/commands/autoscale-flags.test.ts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startController } from './test-harness.ts';

const base = { kind: 'app', command: 'node server.js', domains: ['auto.example.com'] };

describe('site autoscale settings (API)', () => {
  it('stored on create (minReplicas defaults to 1), replaced by a PATCH, {} turns it off', async (t) => {
    const h = await startController(t);
    const acme = await h.customer('acme');
    const created = await acme.post('/v1/sites', { name: 'auto', ...base, autoscale: { maxReplicas: 4, targetConcurrency: 5 } });
    assert.equal(created.status, 201, created.body);
    assert.deepEqual(created.json.site.autoscale, { maxReplicas: 4, targetConcurrency: 5, minReplicas: 1 });
    const zero = await acme.patch('/v1/sites/auto', { autoscale: { minReplicas: 0, maxReplicas: 2, idleTimeoutMs: 300_000 } });
    assert.equal(zero.status, 200, zero.body);
    assert.deepEqual(zero.json.site.autoscale, { minReplicas: 0, maxReplicas: 2, idleTimeoutMs: 300_000 });
    const off = await acme.patch('/v1/sites/auto', { autoscale: {} });
    assert.equal(off.json.site.autoscale, undefined);
  });

  it('a fixed count (scale, PATCH replicas) is refused 409 site_autoscaled while it autoscales, and works again once it is off', async (t) => {
    const h = await startController(t);
    const acme = await h.customer('acme');
    await acme.post('/v1/sites', { name: 'auto', ...base, replicas: 2, autoscale: { minReplicas: 1, maxReplicas: 3 } });
    for (const res of [await acme.post('/v1/sites/auto/scale', { replicas: 5 }), await acme.patch('/v1/sites/auto', { replicas: 5 })]) {
      assert.equal(res.status, 409);
      assert.equal(res.json.error.code, 'site_autoscaled');
      assert.match(res.json.error.message, /autoscales between 1 and 3 replicas/);
    }
    const both = await acme.patch('/v1/sites/auto', { autoscale: {}, replicas: 4 });
    assert.equal(both.status, 200, both.body);
    assert.equal(both.json.site.replicas, 4);
    assert.equal((await acme.post('/v1/sites/auto/scale', { replicas: 1 })).status, 200);
  });

  it('hostile and inconsistent values are refused with a 400 naming the field, and nothing is stored', async (t) => {
    const h = await startController(t);
    const acme = await h.customer('acme');
    await acme.post('/v1/sites', { name: 'auto', ...base });
    const cases: Array<[unknown, RegExp]> = [
      [{ minReplicas: -1, maxReplicas: 2 }, /autoscale\.minReplicas/],
      [{ minReplicas: 0, maxReplicas: 21 }, /autoscale\.maxReplicas/],
      [{ minReplicas: 0, maxReplicas: 0 }, /autoscale\.maxReplicas/],
      [{ minReplicas: 1.5, maxReplicas: 2 }, /autoscale\.minReplicas/],
      [{ minReplicas: '1', maxReplicas: 2 }, /autoscale\.minReplicas/],
      [{ minReplicas: 3, maxReplicas: 2 }, /minReplicas \(3\) must not be above maxReplicas \(2\)/],
      [{ minReplicas: 1 }, /autoscale\.maxReplicas is required/],
      [{ maxReplicas: 2, targetConcurrency: 0 }, /autoscale\.targetConcurrency/],
      [{ maxReplicas: 2, targetConcurrency: 1e9 }, /autoscale\.targetConcurrency/],
      [{ minReplicas: 0, maxReplicas: 2, idleTimeoutMs: 10 }, /autoscale\.idleTimeoutMs/],
      [{ minReplicas: 0, maxReplicas: 2, idleTimeoutMs: 1e12 }, /autoscale\.idleTimeoutMs/],
      [{ minReplicas: 1, maxReplicas: 2, idleTimeoutMs: 60_000 }, /idleTimeoutMs is only for minReplicas 0/],
      [{ minReplicas: 0, maxReplicas: 2, panic: true }, /panic/],
      [null, /autoscale/],
      ['on', /autoscale/],
    ];
    for (const [autoscale, message] of cases) {
      const res = await acme.patch('/v1/sites/auto', { autoscale });
      assert.equal(res.status, 400, `${JSON.stringify(autoscale)}: ${res.body}`);
      assert.match(res.json.error.message, message, JSON.stringify(autoscale));
      const created = await acme.post('/v1/sites', { name: 'other', ...base, domains: ['other.example.com'], autoscale });
      assert.equal(created.status, 400, `create with ${JSON.stringify(autoscale)}`);
    }
    const stored = await acme.get('/v1/sites/auto');
    assert.equal(stored.json.site.autoscale, undefined, 'nothing stored');
    assert.equal((await acme.get('/v1/sites/other')).status, 404);
  });
});
