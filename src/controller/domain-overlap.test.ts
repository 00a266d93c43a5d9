// Wildcard and exact domains of different customers must not overlap (see domain-overlap.ts).
// Tried: an exact host under another customer's wildcard, a wildcard over another customer's
// host, a broader wildcard over a narrower one, and the same through PATCH; the answer never
// names the other customer's claim.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { domainsOverlap } from './domain-overlap.ts';
import { startController } from './test-harness.ts';

it('domainsOverlap follows the router: wildcards cover any depth below their base', () => {
  assert.equal(domainsOverlap('*.a.test', 'x.a.test'), true);
  assert.equal(domainsOverlap('y.x.a.test', '*.a.test'), true);
  assert.equal(domainsOverlap('*.a.test', 'a.test'), false);
  assert.equal(domainsOverlap('*.a.test', '*.x.a.test'), true);
  assert.equal(domainsOverlap('*.test', '*.a.test'), true);
  assert.equal(domainsOverlap('a.test', 'b.test'), false);
  assert.equal(domainsOverlap('*.a.test', '*.b.test'), false);
  assert.equal(domainsOverlap('xa.test', '*.a.test'), false);
});

it("refuses a domain that overlaps another customer's, and allows overlaps within one customer", async (t) => {
  const h = await startController(t);
  const acme = await h.customer('acme');
  const evil = await h.customer('evil');
  const site = (name: string, domains: string[]) => ({ name, kind: 'static', domains });

  assert.equal((await acme.post('/v1/sites', site('wild', ['*.acme.test']))).status, 201);
  assert.equal((await acme.post('/v1/sites', site('api', ['api.corp.test']))).status, 201);
  for (const domains of [['shop.acme.test'], ['deep.shop.acme.test'], ['*.shop.acme.test'], ['*.corp.test']]) {
    const res = await evil.post('/v1/sites', site('grab', domains));
    assert.equal(res.status, 409, `${domains} must be refused`);
    assert.equal(res.json.error.code, 'domain_taken');
    assert.equal(res.json.error.message, `domain ${domains[0]} is not available: it, or a name it overlaps, is claimed by another site`);
    assert.doesNotMatch(res.json.error.message, /\*\.acme\.test|api\.corp\.test/, "the other customer's claim is never named");
  }
  assert.equal((await acme.post('/v1/sites', site('shop', ['shop.acme.test']))).status, 201, 'same customer may refine its wildcard');
  assert.equal((await evil.post('/v1/sites', site('own', ['acme.test']))).status, 201, 'the bare base is not covered by the wildcard');

  const patch = await evil.patch('/v1/sites/own', { domains: ['acme.test', 'api.acme.test'] });
  assert.equal(patch.status, 409);
  assert.equal((await evil.get('/v1/sites/own')).json.site.domains.length, 1, 'nothing changed');
});
