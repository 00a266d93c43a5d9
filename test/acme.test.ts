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
import { request as httpsRequest } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { waitFor } from '../src/lib/wait.ts';
import { startAcmeFarm, type AcmeFarm } from './helpers/acme-farm.ts';

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

/** HTTPS GETs on fresh connections (a new handshake each) until stop(); counts failures and the certificates seen. */
function requestLoop(farm: AcmeFarm, host: string, ca: string) {
  let stopped = false;
  const seen = new Set<string>();
  const failures: string[] = [];
  let ok = 0;
  const one = () => new Promise<void>((resolve) => {
    const req = httpsRequest({ host: '127.0.0.1', port: farm.httpsPort, servername: host, headers: { host }, ca, agent: false, path: '/' }, (res) => {
      seen.add((res.socket as TLSSocket).getPeerCertificate().fingerprint256);
      res.resume();
      res.on('end', () => {
        if (res.statusCode === 200) ok++;
        else failures.push(`status ${res.statusCode}`);
        resolve();
      });
    });
    req.on('error', (err) => (failures.push(err.message), resolve()));
    req.end();
  });
  const done = (async () => {
    while (!stopped) await one();
  })();
  return { seen, failures, ok: () => ok, stop: async () => ((stopped = true), await done) };
}

test('renewal at two thirds of the lifetime replaces the certificate under load without a failed request', { skip }, async (t) => {
  const farm = await startAcmeFarm(t, { challenges: ['http-01'], jitterFraction: 0 });
  await farm.h.customer('acme');
  await farm.h.admin.post('/v1/sites', { name: 'shop', customer: 'acme', domains: ['shop.test'], kind: 'static', tls: 'auto' });
  await farm.route('shop', ['shop.test']);
  const first = await farm.waitStatus('shop', (s) => s.state === 'valid', 'the first certificate');
  const loop = requestLoop(farm, 'shop.test', await farm.pebble.root());
  await waitFor(() => loop.ok() > 5, { what: 'requests through the router' });
  // the issuer's clock stops at the renewal time (2/3 of pebble's lifetime); the renewed
  // certificate, issued in a later second, is due later than that
  await waitFor(() => Date.now() > Date.parse(first.updatedAt) + 1100, { what: 'the next second' });
  farm.clock.at = Date.parse(first.nextAttemptAt!);
  farm.issuer.kick();
  const renewed = await farm.waitStatus('shop', (s) => s.state === 'valid' && s.orders === 2, 'the renewal');
  assert.ok(Date.parse(renewed.nextAttemptAt!) > Date.parse(first.nextAttemptAt!));
  await waitFor(() => loop.seen.size === 2, { what: 'the new certificate served' });
  const after = loop.ok();
  await waitFor(() => loop.ok() > after + 5, { what: 'requests on the new certificate' });
  await loop.stop();
  assert.deepEqual(loop.failures, []);
  const events = (await farm.h.admin.get('/v1/events?type=farm&site=shop')).json.events.map((e: { action: string }) => e.action);
  assert.deepEqual(events.filter((a: string) => a.startsWith('cert.')), ['cert.renewed', 'cert.issued']);
});

test('a CA outage: the old certificate keeps serving, the issuer retries with growing backoff, then renews', { skip }, async (t) => {
  const farm = await startAcmeFarm(t, { challenges: ['http-01'], backoffMinMs: 200, backoffMaxMs: 2000 });
  await farm.h.customer('acme');
  await farm.h.admin.post('/v1/sites', { name: 'shop', customer: 'acme', domains: ['shop.test'], kind: 'static', tls: 'auto' });
  await farm.route('shop', ['shop.test']);
  const first = await farm.waitStatus('shop', (s) => s.state === 'valid', 'the first certificate');
  await farm.curl('shop.test'); // keeps pebble's first root for curl
  await farm.pebble.stop();
  farm.clock.offsetMs = Date.parse(first.nextAttemptAt!) - Date.now() + 1000; // past the renewal time, and running
  farm.issuer.kick();
  // each try's wait, from its status: backoffMin × 2^(failures − 1) up to the cap, ±10 % jitter — doubling, never a tight loop
  const seen = new Map<number, number>();
  for (let i = 0; i < 3; i++) {
    const s = await farm.waitStatus('shop', (x) => x.state === 'failed' && x.failures > Math.max(0, ...seen.keys()), 'another failed try');
    assert.match(s.lastError!, /cannot reach the ACME server/);
    seen.set(s.failures, Date.parse(s.nextAttemptAt!) - Date.parse(s.updatedAt) - farm.clock.offsetMs!);
    const res = await farm.curl('shop.test');
    assert.equal(res.code, 0, `the old certificate serves: ${res.stderr}`);
  }
  for (const [failures, wait] of seen) {
    const expected = Math.min(2000, 200 * 2 ** (failures - 1));
    assert.ok(wait > expected * 0.85 && wait < expected * 1.15, `try ${failures} waits ${wait} ms, expected ~${expected}`);
  }
  const failed = (await farm.h.admin.get('/v1/events?type=farm&site=shop')).json.events.filter((e: { action: string }) => e.action === 'cert.failed');
  assert.ok(failed.length >= 3);
  await farm.pebble.start();
  // a restarted pebble knows no account (the issuer registers again) and has a new root; on a
  // loaded machine the next tries may take a while: the status says where it stands. Renewed:
  // a new certificate and no failure. (With the clock moved past the first certificate's
  // renewal time, the new one, issued by pebble's own clock, is due again at once: the state
  // goes on between `valid` and `renewing`, so it is not what tells.)
  const renewed = await farm.waitStatus('shop', (s) => s.failures === 0 && s.orders > first.orders && s.notAfter !== undefined && s.notAfter !== first.notAfter && s.lastError === undefined, 'the renewal after the outage', 60_000).catch(async (err: Error) => {
    const kv = await farm.h.store.get(keys.certStatus('shop'));
    throw new Error(`${err.message}; last status: ${kv?.value ?? 'none'}`);
  });
  assert.equal(renewed.lastError, undefined);
});

test('a customer cannot obtain a certificate for a domain that is not one of its sites\'; state and expiry are visible, keys never', { skip }, async (t) => {
  const farm = await startAcmeFarm(t, { challenges: ['http-01'] });
  const alice = await farm.h.customer('alice');
  const bob = await farm.h.customer('bob');
  assert.equal((await alice.post('/v1/sites', { name: 'shop', domains: ['shop.test'], kind: 'static', tls: 'auto' })).status, 201);
  await farm.route('shop', ['shop.test']);
  // bob can neither claim alice's domain nor add it to his own site: no order can name it
  assert.equal((await bob.post('/v1/sites', { name: 'copy', domains: ['shop.test'], kind: 'static', tls: 'auto' })).status, 409);
  assert.equal((await bob.post('/v1/sites', { name: 'bobs', domains: ['bob.test'], kind: 'static', tls: 'auto' })).status, 201);
  assert.equal((await bob.patch('/v1/sites/bobs', { domains: ['bob.test', 'shop.test'] })).status, 409);
  await farm.route('bobs', ['bob.test']);
  await farm.waitStatus('shop', (s) => s.state === 'valid', 'alice\'s certificate');
  await farm.waitStatus('bobs', (s) => s.state === 'valid', 'bob\'s certificate');
  const bobs = (await bob.get('/v1/sites/bobs/certificates')).json.certificates[0];
  assert.deepEqual(bobs.sans, ['bob.test']);
  // bob sees his own state only; alice's site is a 404 to him
  const list = await bob.get('/v1/certificates');
  assert.deepEqual(list.json.certificates.map((c: { site: string }) => c.site), ['bobs']);
  const mine = list.json.certificates[0];
  assert.equal(mine.state, 'valid');
  assert.equal(mine.mode, 'auto');
  assert.equal(mine.source, 'acme');
  assert.match(mine.issuer, /Pebble/);
  assert.ok(Date.parse(mine.nextRenewal) < Date.parse(mine.notAfter));
  assert.equal((await bob.get('/v1/sites/shop/certificate-status')).status, 404);
  assert.equal((await alice.get('/v1/sites/shop/certificate-status')).json.certificate.state, 'valid');
  for (const body of [list.body, (await farm.h.admin.get('/v1/certificates')).body, (await alice.get('/v1/sites/shop/certificates')).body]) {
    assert.doesNotMatch(body, /PRIVATE KEY/);
  }
  const metrics = (await farm.h.admin.get('/metrics')).body;
  const expiry = /corral_certificate_expiry_seconds\{site="shop"\} (\d+)/.exec(metrics);
  assert.ok(expiry && Number(expiry[1]) > 86_400, 'seconds to expiry per site');
});

test('a domain that cannot be validated gets a clear error on the site, retried with backoff, never a loop', { skip }, async (t) => {
  const farm = await startAcmeFarm(t, { challenges: ['http-01'], backoffMinMs: 400, backoffMaxMs: 60_000 });
  const acme = await farm.h.customer('acme');
  // no route: the router answers pebble's challenge with 404, as when DNS points elsewhere
  assert.equal((await acme.post('/v1/sites', { name: 'lost', domains: ['lost.test'], kind: 'static', tls: 'auto' })).status, 201);
  const failed = await farm.waitStatus('lost', (s) => s.state === 'failed' && s.failures >= 2, 'two failed orders');
  assert.match(failed.lastError!, /404|lost\.test/);
  const view = (await acme.get('/v1/sites/lost/certificate-status')).json.certificate;
  assert.equal(view.state, 'failed');
  assert.equal(view.lastError, failed.lastError);
  assert.ok(Date.parse(view.nextRenewal) > Date.now());
  // the customer sees the failure among its own events
  const events = (await acme.get('/v1/events?site=lost')).json.events;
  assert.ok(events.some((e: { action: string; message: string }) => e.action === 'cert.failed' && /lost\.test|404/.test(e.message)));
  assert.ok(failed.orders <= failed.failures + 1, 'one order per try');
});

test('External Account Binding: a CA that requires it refuses the account without, issues with it', { skip }, async (t) => {
  const kid = 'kid-1';
  const hmacKey = 'zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W';
  const without = await startAcmeFarm(t, { challenges: ['http-01'] }, { [kid]: hmacKey });
  await without.h.customer('acme');
  await without.h.admin.post('/v1/sites', { name: 'shop', customer: 'acme', domains: ['shop.test'], kind: 'static', tls: 'auto' });
  await without.route('shop', ['shop.test']);
  const refused = await without.waitStatus('shop', (s) => s.state === 'failed', 'the account refused');
  assert.match(refused.lastError!, /externalAccountBinding/);

  const farm = await startAcmeFarm(t, { challenges: ['http-01'], eab: { kid, hmacKey } }, { [kid]: hmacKey });
  await farm.h.customer('acme');
  await farm.h.admin.post('/v1/sites', { name: 'shop', customer: 'acme', domains: ['shop.test'], kind: 'static', tls: 'auto' });
  await farm.route('shop', ['shop.test']);
  await farm.waitStatus('shop', (s) => s.state === 'valid', 'a certificate under the bound account');
  const res = await farm.curl('shop.test');
  assert.equal(res.code, 0, res.stderr);
  // the account key stays in the store: no API answer carries it
  const account = JSON.parse((await farm.h.store.get(keys.acmeAccount))!.value) as { key: string; url: string };
  assert.match(account.url, /^https:/);
  for (const path of ['/v1/certificates', '/v1/sites/shop/certificate-status', '/v1/sites/shop/certificates', '/v1/events', '/v1/status']) {
    assert.ok(!(await farm.h.admin.get(path)).body.includes(account.key.split('\n')[1]!), path);
  }
});
