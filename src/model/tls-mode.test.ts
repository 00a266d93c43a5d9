import { test } from 'node:test';
import assert from 'node:assert/strict';
import { acmeNames, tlsModeOf } from './tls-mode.ts';

test('unset, a site is auto when a domain is public, off when every name is local, reserved or an address', () => {
  assert.equal(tlsModeOf({ domains: ['shop.com'] }), 'auto');
  assert.equal(tlsModeOf({ domains: ['shop.test', 'x.localhost', 'printer.local', '10.0.0.1', 'a.example', 'www.example.com', 'x.invalid'] }), 'off');
  assert.equal(tlsModeOf({ domains: ['shop.test', 'shop.com'] }), 'auto');
  assert.deepEqual(acmeNames({ domains: ['shop.test', 'Shop.com', 'shop.com'] }), ['shop.com']);
});

test('a mode set on the site wins: auto orders every domain, manual and off none', () => {
  assert.equal(tlsModeOf({ tls: 'auto', domains: ['shop.test'] }), 'auto');
  assert.deepEqual(acmeNames({ tls: 'auto', domains: ['www.shop.test', 'shop.test'] }), ['shop.test', 'www.shop.test']);
  assert.deepEqual(acmeNames({ tls: 'manual', domains: ['shop.com'] }), []);
  assert.deepEqual(acmeNames({ tls: 'off', domains: ['shop.com'] }), []);
});
