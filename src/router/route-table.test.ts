import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Route } from '../model/index.ts';
import fc from 'fast-check';
import { buildRouteTable, createRouteTable, normalizeHost, type DomainConflict, type InvalidDomain } from './route-table.ts';

function route(site: string, domains: string[]): Route {
  return { site, domains, endpoints: [], updatedAt: '2024-01-01T00:00:00Z' };
}

const table = buildRouteTable([
  route('shop', ['shop.example.com', 'Example.COM.']),
  route('wild', ['*.example.com']),
  route('deep', ['*.eu.example.com']),
  route('v6', ['[::1]']),
]);

const site = (host: string | undefined) => table.lookup(host)?.site;

test('normalizeHost lowercases, strips the port and a trailing dot', () => {
  assert.equal(normalizeHost('Shop.Example.COM:8080'), 'shop.example.com');
  assert.equal(normalizeHost('shop.example.com.'), 'shop.example.com');
  assert.equal(normalizeHost('shop.example.com.:443'), 'shop.example.com');
  assert.equal(normalizeHost('[::1]:80'), '[::1]');
  assert.equal(normalizeHost('127.0.0.1:80'), '127.0.0.1');
});

test('normalizeHost rejects malformed hosts', () => {
  for (const bad of ['', ':80', 'a..b', 'a b', 'a/b', 'x:abc', 'x:', '[::1', '[::1]x', '<script>', '.', '-a.com']) {
    assert.equal(normalizeHost(bad), undefined, bad);
  }
});

test('exact domains match whatever the case, port or trailing dot', () => {
  assert.equal(site('shop.example.com'), 'shop');
  assert.equal(site('SHOP.example.com:8443'), 'shop');
  assert.equal(site('example.com'), 'shop');
  assert.equal(site('example.com.'), 'shop');
  assert.equal(site('[::1]:8080'), 'v6');
});

test('exact wins over wildcard; the most specific wildcard wins', () => {
  assert.equal(site('shop.example.com'), 'shop');
  assert.equal(site('blog.example.com'), 'wild');
  assert.equal(site('a.b.example.com'), 'wild');
  assert.equal(site('paris.eu.example.com'), 'deep');
  assert.equal(site('x.paris.eu.example.com'), 'deep');
  assert.equal(site('eu.example.com'), 'wild');
});

test('unknown and malformed hosts match nothing', () => {
  assert.equal(site('example.org'), undefined);
  assert.equal(site('com'), undefined);
  assert.equal(site(undefined), undefined);
  assert.equal(site(''), undefined);
  assert.equal(site('evil.com/.example.com'), undefined);
});

test('a wildcard does not match its own apex', () => {
  const t = buildRouteTable([route('wild', ['*.example.org'])]);
  assert.equal(t.lookup('example.org'), undefined);
  assert.equal(t.lookup('www.example.org')?.site, 'wild');
});

test('a domain claimed twice stays with the first site by name, and is reported', () => {
  const t = buildRouteTable([route('zeta', ['dup.example.com']), route('alpha', ['DUP.example.com'])]);
  assert.equal(t.lookup('dup.example.com')?.site, 'alpha');
  assert.deepEqual(t.conflicts, [{ domain: 'dup.example.com', kept: 'alpha', dropped: 'zeta' }]);
});

test('invalid domains are skipped and reported, never a catch-all', () => {
  const t = buildRouteTable([route('bad', ['*', '*.', 'a.*.com', '', 'ok.example.com'])]);
  assert.equal(t.size, 1);
  assert.deepEqual(t.invalid.map((i) => i.domain), ['*', '*.', 'a.*.com', '']);
  assert.equal(t.lookup('anything.com'), undefined);
});

// createRouteTable: per-site updates end where a fresh build of the resulting set does

const SITES = ['a', 'b', 'c', 'd', 'e'];
const DOMAINS = ['x.test', 'X.test.', 'y.test', '*.test', '*.y.test', 'a.y.test', 'bad domain', '*', 'z.test:80'];
const HOSTS = ['x.test', 'y.test', 'q.test', 'a.y.test', 'b.y.test', 'z.test', 'nothing', undefined];

const sortConflicts = (cs: readonly DomainConflict[]) => [...cs].map((c) => `${c.domain}|${c.kept}|${c.dropped}`).sort();
const step = fc.oneof(
  fc.record({ put: fc.array(fc.record({ site: fc.constantFrom(...SITES), domains: fc.array(fc.constantFrom(...DOMAINS), { maxLength: 4 }), tag: fc.nat(9) }), { maxLength: 3 }), remove: fc.constant<string[]>([]) }),
  fc.record({ put: fc.constant([]), remove: fc.array(fc.constantFrom(...SITES), { maxLength: 3 }) }),
);

test('updateRoutes sequences match buildRouteTable of the resulting set', () => {
  fc.assert(
    fc.property(fc.array(step, { maxLength: 12 }), (steps) => {
      const live = createRouteTable();
      const current = new Map<string, Route>();
      for (const s of steps) {
        // one route per site in a diff, as the watch sends them
        const put = [...new Map(s.put.map((p) => [p.site, { ...route(p.site, p.domains), updatedAt: String(p.tag) }])).values()];
        live.update({ put, remove: s.remove });
        for (const site of s.remove) current.delete(site);
        for (const r of put) current.set(r.site, r);
        const fresh = buildRouteTable([...current.values()]);
        assert.equal(live.size, fresh.size);
        for (const host of HOSTS) assert.equal(live.lookup(host), fresh.lookup(host), `host ${host}`); // the very route object
        assert.deepEqual(sortConflicts(live.conflicts), sortConflicts(fresh.conflicts));
        const invalid = (list: readonly InvalidDomain[]) => list.map((i) => `${i.site}|${i.domain}`).sort();
        assert.deepEqual(invalid(live.invalid), invalid(fresh.invalid));
        for (const site of current.keys()) {
          // what an update logs for one site: its conflicts either way, and its invalid domains
          const p = live.problemsOf(new Set([site]));
          assert.deepEqual(sortConflicts(p.conflicts), sortConflicts(fresh.conflicts.filter((c) => c.kept === site || c.dropped === site)), `problems of ${site}`);
          assert.deepEqual(invalid(p.invalid), invalid(fresh.invalid.filter((i) => i.site === site)));
        }
      }
    }),
    { numRuns: 500 },
  );
});

test('a site whose domains change loses its old names; a contested name passes to the next claimant', () => {
  const t = createRouteTable();
  t.update({ put: [route('b', ['shared.test', 'old.test']), route('c', ['shared.test'])], remove: [] });
  assert.equal(t.lookup('shared.test')?.site, 'b');
  assert.deepEqual(t.problemsOf(new Set(['c'])).conflicts, [{ domain: 'shared.test', kept: 'b', dropped: 'c' }]);
  t.update({ put: [route('a', ['shared.test'])], remove: [] }); // first by name, though it came last
  assert.equal(t.lookup('shared.test')?.site, 'a');
  t.update({ put: [route('b', ['new.test'])], remove: ['a'] });
  assert.equal(t.lookup('old.test'), undefined);
  assert.equal(t.lookup('new.test')?.site, 'b');
  assert.equal(t.lookup('shared.test')?.site, 'c');
  assert.deepEqual(t.conflicts, []);
});
