import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodePath, parseRequestPath } from './request-path.ts';

test('plain paths become segments, query kept apart', () => {
  assert.deepEqual(parseRequestPath('/a/b.html?x=1'), { segments: ['a', 'b.html'], trailingSlash: false, search: '?x=1' });
  assert.deepEqual(parseRequestPath('/'), { segments: [], trailingSlash: true, search: '' });
  assert.deepEqual(parseRequestPath('/docs/'), { segments: ['docs'], trailingSlash: true, search: '' });
});

test('decodes once only', () => {
  assert.deepEqual(parseRequestPath('/a%20b').segments, ['a b']);
  assert.deepEqual(parseRequestPath('/a%252e%252e').segments, ['a%2e%2e']);
});

test('dot segments resolve but never climb above the root', () => {
  assert.deepEqual(parseRequestPath('/a/./b/../c').segments, ['a', 'c']);
  for (const p of ['/..', '/../etc/passwd', '/a/../../etc', '/%2e%2e/etc/passwd', '/..%2Fetc%2Fpasswd', '/a/%2E%2E/%2e%2e/x']) {
    assert.throws(() => parseRequestPath(p), { code: 'WEB_PATH_REFUSED' }, p);
  }
});

test('NUL bytes, backslashes and dotfiles are refused; .well-known is allowed', () => {
  for (const p of ['/index.html%00.txt', '/a%5c..%5c..%5cetc', '/.env', '/.git/config', '/a/.htpasswd']) {
    assert.throws(() => parseRequestPath(p), { code: 'WEB_PATH_REFUSED' }, p);
  }
  assert.deepEqual(parseRequestPath('/.well-known/security.txt').segments, ['.well-known', 'security.txt']);
});

test('malformed percent-encoding and non-path targets are bad requests', () => {
  assert.throws(() => parseRequestPath('/%E0%A4%A'), { code: 'WEB_BAD_PATH' });
  assert.throws(() => parseRequestPath('*'), { code: 'WEB_BAD_PATH' });
});

test('absolute-form targets keep only their path', () => {
  assert.deepEqual(parseRequestPath('http://example.com/a?b').segments, ['a']);
  assert.deepEqual(parseRequestPath('http://example.com').segments, []);
});

test('encodePath never yields a protocol-relative URL', () => {
  assert.equal(encodePath(['evil.com'], true), '/evil.com/');
  assert.equal(encodePath(['a b', 'c'], true), '/a%20b/c/');
  assert.equal(encodePath([], true), '/');
});
