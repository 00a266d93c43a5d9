// The domain policy as a table: each row is a name, who claims it, and the refusal expected
// (a pattern of the reason) or null when the claim is allowed. The farm below reserves
// `a.example` and `*.b.example`, as `--reserved-domains a.example,*.b.example` would.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { domainRefusal, domainRules, hostNamesOf, isIpLiteral } from './domain-rules.ts';

const rules = domainRules(['a.example', '*.b.example', 'Console.Farm.example.']);

const IP = /IP address/;
const LOCAL = /localhost/;
const SINGLE = /single label/;
const SUFFIX = /public suffix/;
const WILD_SUFFIX = /wildcard over the public suffix/;
const RESERVED = /reserved by the farm/;

const table: [domain: string, refusal: RegExp | null, claimant?: 'admin' | 'customer'][] = [
  // IP literals, every notation
  ['127.0.0.1', IP], ['10.213.146.1', IP], ['0x7f000001', IP], ['2130706433', IP], ['0177.0.0.1', IP], ['127.1', IP],
  ['0x7f.1', IP], ['1.2.3.999', IP], ['a.1', IP], ['x.0x', IP], ['*.127.0.0.1', IP], ['::1', IP], ['[::1]', IP],
  ['[::ffff:127.0.0.1]', IP], ['fe80::1%eth0', IP], ['127.0.0.1.', IP], ['127.0.0.1', IP, 'admin'],
  // localhost and below
  ['localhost', LOCAL], ['LOCALHOST.', LOCAL], ['*.localhost', LOCAL], ['console.localhost', LOCAL], ['corral.localhost', LOCAL],
  ['a.b.localhost', LOCAL], ['localhost', LOCAL, 'admin'],
  // single labels
  ['test', SINGLE], ['intranet', SINGLE], ['com', SINGLE], ['*.test', WILD_SUFFIX], ['*.x', WILD_SUFFIX],
  // public suffixes, ICANN and private, and wildcards directly over them
  ['co.uk', SUFFIX], ['*.com', WILD_SUFFIX], ['*.co.uk', WILD_SUFFIX], ['github.io', SUFFIX], ['*.github.io', WILD_SUFFIX],
  ['foo.ck', SUFFIX], ['x.compute.amazonaws.com', SUFFIX], ['co.uk', SUFFIX, 'admin'],
  // the farm's reserved names: customers refused, admin allowed
  ['a.example', RESERVED], ['x.b.example', RESERVED], ['y.x.b.example', RESERVED], ['*.b.example', RESERVED],
  ['*.x.b.example', RESERVED], ['*.example', WILD_SUFFIX], ['console.farm.example', RESERVED], ['*.farm.example', RESERVED],
  ['a.example', null, 'admin'], ['*.b.example', null, 'admin'],
  // allowed
  ['b.example', null], ['www.a.example', null], ['www.example.com', null], ['*.example.com', null], ['foo.github.io', null],
  ['shop.co.uk', null], ['*.shop.co.uk', null], ['acme.test', null], ['*.acme.test', null], ['a1.example.com', null],
  ['1a.example.com', null], ['xn--bcher-kva.example', null],
  // not host names at all
  ['', /not a host name/], ['a..example', /not a host name/], ['*.*.example.com', /not a host name/], ['-a.example', /not a host name/],
];

test('domain claims: refused and allowed names, by claimant', () => {
  for (const [domain, refusal, claimant = 'customer'] of table) {
    const got = domainRefusal(domain, rules, claimant);
    if (refusal === null) assert.equal(got, undefined, `${claimant} ${JSON.stringify(domain)} must be allowed, got: ${got}`);
    else assert.match(got ?? '(allowed)', refusal, `${claimant} ${JSON.stringify(domain)}`);
  }
});

test('isIpLiteral agrees with the URL parser on every address it reads', () => {
  for (const host of ['127.0.0.1', '0x7f000001', '2130706433', '0177.0.0.1', '127.1', '0x7f.0.0.1', '0', '0x', '1.2.3', '[::1]']) {
    assert.equal(isIpLiteral(host), true, host);
  }
  for (const host of ['example.com', '1e1', 'a1', '0xg.example', 'x.1a']) assert.equal(isIpLiteral(host), false, host);
});

test('a reserved list entry must be a host name', () => {
  assert.deepEqual(domainRules(['A.example.', '*.b.example', 'a.example']).reserved, ['a.example', '*.b.example']);
  for (const bad of ['', 'a b.example', '*.', 'http://x.example', '*.*.x.example']) {
    assert.throws(() => domainRules([bad]), /is not a hostname/, JSON.stringify(bad));
  }
});

test("the farm's own host names: listen addresses and URLs, addresses left out", () => {
  assert.deepEqual(hostNamesOf(['127.0.0.1', '0.0.0.0', '::', 'Farm.Example.com', undefined, 'http://api.farm.example:7400/x', 'http://[::1]:7400', 'http://10.0.0.1']), ['farm.example.com', 'api.farm.example']);
});
