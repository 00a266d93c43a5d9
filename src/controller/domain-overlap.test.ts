// Wildcard and exact domains of different customers must not overlap (see domain-overlap.ts).
// Tried: an exact host under another customer's wildcard, a wildcard over another customer's
// host, a broader wildcard over a narrower one, and the same through PATCH; the answer never
// names the other customer's claim.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keys } from '../model/index.ts';
import { openSqliteStore } from '../store/sqlite-store.ts';
import { DomainTakenError } from './errors.ts';
import { claimConflicts, domainsOverlap, guardDomains } from './domain-overlap.ts';
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

it('a plain name holds the names below it against other customers: claimConflicts', () => {
  assert.equal(claimConflicts('evil.app.test', 'app.test'), true);
  assert.equal(claimConflicts('y.evil.app.test', 'app.test'), true);
  assert.equal(claimConflicts('*.app.test', 'app.test'), true);
  assert.equal(claimConflicts('*.x.app.test', 'app.test'), true);
  assert.equal(claimConflicts('app.test', 'evil.app.test'), false, 'first come: a name above another is free');
  assert.equal(claimConflicts('xapp.test', 'app.test'), false);
  assert.equal(claimConflicts('app.test', '*.app.test'), false, 'the bare base is not below a wildcard');
  assert.equal(claimConflicts('x.app.test', '*.app.test'), true, 'a wildcard, as domainsOverlap');
});

it("a customer cannot claim a name below another customer's name (the outside tester's evil.app.beta.test), nor a wildcard over it; the owner can", async (t) => {
  const h = await startController(t);
  const beta = await h.customer('beta');
  const evil = await h.customer('evil');
  const site = (name: string, domains: string[]) => ({ name, kind: 'static', domains });
  assert.equal((await beta.post('/v1/sites', site('app', ['app.beta.test']))).status, 201);
  for (const domains of [['evil.app.beta.test'], ['a.b.app.beta.test'], ['*.app.beta.test'], ['*.x.app.beta.test']]) {
    const res = await evil.post('/v1/sites', site('grab', domains));
    assert.equal(res.status, 409, `${domains} must be refused`);
    assert.equal(res.json.error.code, 'domain_taken');
    assert.equal(res.json.error.message, `domain ${domains[0]} is not available: it, or a name it overlaps, is claimed by another site`, "the owner's claim is never named");
  }
  assert.equal((await evil.post('/v1/sites', site('near', ['xapp.beta.test']))).status, 201, 'a sibling that only ends alike is free');
  assert.equal((await beta.post('/v1/sites', site('wild', ['*.app.beta.test']))).status, 201, 'the owner may take its wildcard');
  assert.equal((await beta.patch('/v1/sites/app', { domains: ['app.beta.test', 'www.app.beta.test'] })).status, 200, 'and its names below');
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

it('guardDomains refuses exactly what a check against every claim refuses (plain names read only the names and wildcards above them)', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'corral-domain-overlap-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const store = await openSqliteStore(join(dir, 'store.db'));
  t.after(() => store.close());
  const label = fc.constantFrom('a', 'b', 'shop', 'x');
  const plain = fc.array(label, { minLength: 1, maxLength: 3 }).map((ls) => [...ls, 'test'].join('.'));
  const name = fc.oneof(plain, plain.map((d) => `*.${d}`));
  const claims = fc.uniqueArray(fc.tuple(name, fc.constantFrom('acme', 'evil')), { selector: ([d]) => d, maxLength: 8 });
  await fc.assert(
    fc.asyncProperty(claims, fc.array(name, { minLength: 1, maxLength: 2 }), async (claimed, asked) => {
      await store.deletePrefix(keys.domains);
      for (const [d, customer] of claimed) await store.put(keys.domain(d), JSON.stringify({ site: `s-${customer}`, customer }));
      const expected = claimed.some(([c, owner]) => owner !== 'acme' && asked.some((d) => d !== c && claimConflicts(d, c)));
      const refused = await guardDomains(store, 'acme', asked).then(() => false, (err: unknown) => {
        if (err instanceof DomainTakenError) return true;
        throw err;
      });
      assert.equal(refused, expected, `claims ${JSON.stringify(claimed)}, asked ${JSON.stringify(asked)}`);
    }),
    { numRuns: 300, seed: 20_261_204 },
  );
});
