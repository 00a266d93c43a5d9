import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTrustedProxies, TrustedProxies, trustedProxyError } from './trusted-proxies.ts';

test('entries are addresses or CIDR blocks, IPv4 or IPv6', () => {
  for (const ok of ['10.0.0.5', '10.0.0.0/8', '0.0.0.0/0', '::1', '2001:db8::/32', 'fd00::/128']) assert.equal(trustedProxyError(ok), undefined, ok);
  for (const bad of ['', 'lb.example.com', '10.0.0.0/33', '::/129', '10.0.0.0/', '10.0.0.0/8/8', '10.0.0.0/-1', '10.0.0.0/ 8', 7]) {
    assert.match(trustedProxyError(bad) ?? '', /is not an IP address or CIDR block/, String(bad));
  }
  assert.deepEqual(parseTrustedProxies(' 10.0.0.0/8, ,::1,'), ['10.0.0.0/8', '::1']);
});

test('membership: addresses, blocks, both families; none configured trusts no one', () => {
  const trust = new TrustedProxies(['10.0.0.0/8', '192.0.2.7', '2001:db8::/32']);
  assert.equal(trust.has('10.200.3.4'), true);
  assert.equal(trust.has('192.0.2.7'), true);
  assert.equal(trust.has('192.0.2.8'), false);
  assert.equal(trust.has('2001:db8::42'), true);
  assert.equal(trust.has('2001:db9::42'), false);
  assert.equal(trust.has(''), false);
  assert.equal(new TrustedProxies([]).has('10.0.0.1'), false);
});

test('the client behind a trusted peer: X-Forwarded-For from the right, trusted hops skipped', () => {
  const trust = new TrustedProxies(['10.0.0.0/8']);
  assert.equal(trust.clientBehind('10.0.0.1', undefined), '10.0.0.1', 'no chain: the peer itself');
  assert.equal(trust.clientBehind('10.0.0.1', '6.6.6.6, 203.0.113.7'), '203.0.113.7', 'a forged left part is never taken');
  assert.equal(trust.clientBehind('10.0.0.1', '203.0.113.7, 10.9.9.9'), '203.0.113.7');
  assert.equal(trust.clientBehind('10.0.0.1', '10.2.2.2, 10.9.9.9'), '10.2.2.2', 'all trusted: the leftmost');
  assert.equal(trust.clientBehind('10.0.0.1', 'garbage, 10.9.9.9'), '10.9.9.9', 'a malformed hop ends the walk');
  assert.equal(trust.clientBehind('10.0.0.1', '::ffff:203.0.113.7'), '203.0.113.7', 'IPv4-mapped unwrapped');
  const req = (remoteAddress: string, xff?: string) => ({ socket: { remoteAddress }, headers: xff ? { 'x-forwarded-for': xff } : {}, rawHeaders: [], httpVersionMajor: 1, resume: () => {} });
  assert.equal(trust.clientOf(req('::ffff:10.0.0.1', '203.0.113.7')), '203.0.113.7');
  assert.equal(trust.clientOf(req('198.51.100.1', '203.0.113.7')), '198.51.100.1', 'an untrusted peer is the client');
});
