// Automatic HTTPS against a real ACME CA (Debian's pebble, with pebble-challtestsrv as its
// DNS answering 127.0.0.1 for every name): the issuer on the controller orders, pebble
// validates through the router under test (its HTTP-01 and TLS-ALPN-01 ports are the
// router's), and curl checks the served certificate against pebble's root.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pebbleMissing } from '../src/lib/pebble-testing.ts';
import { keys } from '../src/model/index.ts';
import { startAcmeFarm } from './helpers/acme-farm.ts';

const skip = pebbleMissing();

test('HTTP-01: a site with tls auto gets a certificate validated through the router, served by SNI', { skip }, async (t) => {
  const farm = await startAcmeFarm(t, { challenges: ['http-01'] });
  const shop = await farm.h.customer('acme');
  assert.equal((await shop.post('/v1/sites', { name: 'shop', domains: ['shop.test'], kind: 'static', tls: 'auto' })).status, 201);
  await farm.route('shop', ['shop.test']);
  const status = await farm.waitStatus('shop', (s) => s.state === 'valid', 'a certificate for shop');
  assert.deepEqual(status.names, ['shop.test']);
  assert.equal(status.orders, 1);
  const res = await farm.curl('shop.test');
  assert.equal(res.code, 0, res.stderr);
  assert.equal(res.body, 'shop');
  // the challenge was taken down again
  assert.equal((await farm.h.store.range(keys.acmeChallenges)).kvs.length, 0);
});

test('TLS-ALPN-01: validated on the router\'s HTTPS listener (acme-tls/1), then served by SNI', { skip }, async (t) => {
  const farm = await startAcmeFarm(t, { challenges: ['tls-alpn-01'] });
  await farm.h.customer('acme');
  assert.equal((await farm.h.admin.post('/v1/sites', { name: 'blog', customer: 'acme', domains: ['blog.test', 'www.blog.test'], kind: 'static', tls: 'auto' })).status, 201);
  await farm.route('blog', ['blog.test', 'www.blog.test']);
  const status = await farm.waitStatus('blog', (s) => s.state === 'valid', 'a certificate for blog');
  assert.deepEqual(status.names, ['blog.test', 'www.blog.test']);
  for (const host of ['blog.test', 'www.blog.test']) {
    const res = await farm.curl(host);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.body, 'blog');
  }
});

test('DNS-01: a wildcard through the operator\'s hook, which writes to pebble-challtestsrv', { skip }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'corral-hook-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const hook = join(dir, 'hook.sh');
  const calls = join(dir, 'calls');
  const farm = await startAcmeFarm(t, { challenges: ['http-01'], dnsHook: hook });
  writeFileSync(hook, [
    '#!/bin/sh',
    'set -e',
    `echo "$1 $2" >> ${calls}`,
    `if [ "$1" = add ]; then path=set-txt; body="{\\"host\\":\\"$2.\\",\\"value\\":\\"$3\\"}"; else path=clear-txt; body="{\\"host\\":\\"$2.\\"}"; fi`,
    `curl -sSf -X POST -d "$body" ${farm.pebble.challtestUrl}/$path`,
    '',
  ].join('\n'), { mode: 0o755 });
  await farm.h.customer('acme');
  assert.equal((await farm.h.admin.post('/v1/sites', { name: 'wild', customer: 'acme', domains: ['*.wild.test'], kind: 'static', tls: 'auto' })).status, 201);
  await farm.route('wild', ['*.wild.test']);
  const status = await farm.waitStatus('wild', (s) => s.state === 'valid', 'a wildcard certificate');
  assert.deepEqual(status.names, ['*.wild.test']);
  const res = await farm.curl('anything.wild.test');
  assert.equal(res.code, 0, res.stderr);
  assert.equal(res.body, 'wild');
  assert.deepEqual(readFileSync(calls, 'utf8').trim().split('\n'), ['add _acme-challenge.wild.test', 'remove _acme-challenge.wild.test']);
});
