import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toOriginForm, type TargetRequest } from './request-target.ts';

/** A request as a front hands it over: headers as node makes them from rawHeaders. */
function request(url: string, rawHeaders: string[] = ['Host', 's.test'], httpVersionMajor = 1): TargetRequest {
  const headers: Record<string, string> = {};
  for (let i = 0; i < rawHeaders.length; i += 2) headers[rawHeaders[i]!.toLowerCase()] ??= rawHeaders[i + 1]!;
  return { url, headers, rawHeaders, httpVersionMajor };
}

test('an absolute-form http(s) target becomes its path and query, its authority the Host (headers and rawHeaders alike)', () => {
  const cases: Array<[target: string, url: string, host: string]> = [
    ['http://shop.acme.test/cart?x=1', '/cart?x=1', 'shop.acme.test'],
    ['HTTPS://Shop.Acme.Test:8443/a/b', '/a/b', 'Shop.Acme.Test:8443'],
    ['hTTp://other.test', '/', 'other.test'],
    ['http://other.test?q=1', '/?q=1', 'other.test'],
    ['http://other.test/a@b?c=@', '/a@b?c=@', 'other.test'],
    ['http://127.0.0.1:8080/x', '/x', '127.0.0.1:8080'],
    ['http://[::1]/x', '/x', '[::1]'],
  ];
  for (const [target, url, host] of cases) {
    const req = request(target, ['User-Agent', 'x', 'host', 'elsewhere.test', 'Accept', '*/*']);
    assert.equal(toOriginForm(req), undefined, target);
    assert.equal(req.url, url, target);
    assert.equal(req.headers.host, host, target);
    assert.deepEqual(req.rawHeaders, ['User-Agent', 'x', 'host', host, 'Accept', '*/*'], `${target}: the one Host replaced where it was`);
  }
});

test('an absolute-form target without a Host header (HTTP/1.0) gets one', () => {
  const req = request('http://other.test/old', ['Accept', '*/*']);
  assert.equal(toOriginForm(req), undefined);
  assert.equal(req.url, '/old');
  assert.deepEqual(req.rawHeaders, ['Accept', '*/*', 'Host', 'other.test']);
  assert.equal(req.headers.host, 'other.test');
});

test('any other target is a 400 naming what is wrong, the request left as it came', () => {
  const cases: Array<[target: string, why: RegExp, rawHeaders?: string[], major?: number]> = [
    ['http://user@s.test/', /userinfo/],
    ['http://s.test@evil.test/x', /userinfo/],
    ['http://user:pw@s.test', /userinfo/],
    ['ftp://s.test/', /scheme must be http or https/],
    ['ws://s.test/', /scheme must be http or https/],
    ['http:///x', /has no host/],
    ['http://', /has no host/],
    ['http://?x', /has no host/],
    ['http://s.test:abc/', /host is not a valid host\[:port\]/],
    ['http://s.test:/', /host is not a valid host\[:port\]/],
    ['http://a b/', /host is not a valid host\[:port\]/],
    ['http://s.test%2f.evil/', /host is not a valid host\[:port\]/],
    ['http:/s.test/', /must be a path \(\/path\) or an absolute http\(s\):\/\/host/],
    ['s.test/x', /must be a path \(\/path\) or an absolute http\(s\):\/\/host/],
    ['', /must be a path \(\/path\) or an absolute http\(s\):\/\/host/],
    ['*', /asterisk-form \(OPTIONS \*\) is not answered/],
    ['*', /asterisk-form/, ['host', 's.test'], 2],
    ['http://s.test/', /:path must be a path/, ['host', 's.test'], 2],
    ['http://s.test/', /the Host header is not a valid host\[:port\]/, ['Host', 'a b']],
  ];
  for (const [target, why, raw, major] of cases) {
    const rawHeaders = raw ?? ['Host', 'elsewhere.test'];
    const req = request(target, [...rawHeaders], major);
    const err = toOriginForm(req);
    assert.equal(err?.status, 400, target);
    assert.equal(err?.code, 'ROUTER_BAD_REQUEST', target);
    assert.match(err!.message, why, target);
    assert.equal(req.url, target, `${target}: the target as it came`);
    assert.deepEqual(req.rawHeaders, rawHeaders, `${target}: the headers as they came`);
  }
});
