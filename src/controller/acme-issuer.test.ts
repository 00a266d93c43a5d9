// The ACME issuer against a CA that refuses: a rate limit or an overloaded CA with
// Retry-After puts the next try at least that far off, and says why on the site. The
// "CA" is a plain HTTP server answering every request with that refusal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { silentLogger } from '../lib/log.ts';
import { waitFor } from '../lib/wait.ts';
import { keys, type CertStatusRecord } from '../model/index.ts';
import { startAcmeIssuer } from './acme-issuer.ts';
import { startController } from './test-harness.ts';

async function refusingCa(t: import('node:test').TestContext, status: number, headers: Record<string, string>, type: string): Promise<string> {
  const server: Server = createServer((req, res) => {
    req.resume();
    res.writeHead(status, { 'content-type': 'application/problem+json', ...headers });
    res.end(JSON.stringify({ type, detail: `refused (${status})`, status }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/directory`;
}

for (const [what, status, headers, type, atLeastMs] of [
  ['a rate limit without Retry-After waits an hour', 429, {}, 'urn:ietf:params:acme:error:rateLimited', 3600_000],
  ['Retry-After in seconds is honoured', 503, { 'retry-after': '7200' }, 'urn:ietf:params:acme:error:serverInternal', 7200_000],
  ['a Retry-After date is honoured', 429, { 'retry-after': new Date(Date.now() + 5 * 3600_000).toUTCString() }, 'urn:ietf:params:acme:error:rateLimited', 5 * 3600_000 - 60_000],
] as const) {
  test(`the CA refuses: ${what}`, async (t) => {
    const h = await startController(t);
    const directoryUrl = await refusingCa(t, status, headers, type);
    const alice = await h.customer('alice');
    assert.equal((await alice.post('/v1/sites', { name: 'shop', domains: ['shop.test'], kind: 'static', tls: 'auto' })).status, 201);
    const issuer = await startAcmeIssuer({ store: h.store, log: silentLogger, acme: { directoryUrl, backoffMinMs: 1000, backoffMaxMs: 6 * 3600_000 } });
    t.after(() => issuer.close());
    const s = await waitFor(async () => {
      const kv = await h.store.get(keys.certStatus('shop'));
      const rec = kv && (JSON.parse(kv.value) as CertStatusRecord);
      return rec && rec.state === 'failed' ? rec : undefined;
    }, { what: 'the failed order' });
    // the two times are taken a moment apart: a second of slack, far below the waits checked
    assert.ok(Date.parse(s.nextAttemptAt!) - Date.parse(s.updatedAt) >= atLeastMs - 1000, `next try ${s.nextAttemptAt} after ${s.updatedAt}`);
    assert.match(s.lastError!, new RegExp(String(status)));
    assert.equal(s.failures, 1);
    assert.equal((await alice.get('/v1/sites/shop/certificate-status')).json.certificate.state, 'failed');
  });
}

test('a site change makes the issuer look at that site alone: the farm is read whole only on its tick', async (t) => {
  const h = await startController(t);
  const directoryUrl = await refusingCa(t, 429, {}, 'urn:ietf:params:acme:error:rateLimited');
  const alice = await h.customer('alice');
  for (let i = 0; i < 20; i++) assert.equal((await alice.post('/v1/sites', { name: `quiet${i}`, domains: [`quiet${i}.test`], kind: 'static' })).status, 201);
  // the real store, with its whole-prefix reads of the sites counted
  let siteRanges = 0;
  const store = new Proxy(h.store, {
    get(target, prop, receiver) {
      if (prop === 'range') return (prefix: string) => (prefix === keys.sites && siteRanges++, target.range(prefix));
      const v: unknown = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  const issuer = await startAcmeIssuer({ store, log: silentLogger, acme: { directoryUrl, backoffMinMs: 1000, backoffMaxMs: 6 * 3600_000 } });
  t.after(() => issuer.close());
  await waitFor(() => siteRanges >= 2, { what: 'the first full pass' }); // one for the watch's start revision, one for the pass
  const before = siteRanges;
  assert.equal((await alice.post('/v1/sites', { name: 'shop', domains: ['shop.test'], kind: 'static', tls: 'auto' })).status, 201);
  await waitFor(async () => (await h.store.get(keys.certStatus('shop'))) !== undefined, { what: 'the new site looked at' });
  assert.equal(siteRanges, before, 'the new site was looked at without reading every site');
});

test('a full pass that fails part-way is tried again within a tenth of the tick, not at the next tick', async (t) => {
  const h = await startController(t);
  const directoryUrl = await refusingCa(t, 429, {}, 'urn:ietf:params:acme:error:rateLimited');
  const alice = await h.customer('alice');
  assert.equal((await alice.post('/v1/sites', { name: 'shop', domains: ['shop.test'], kind: 'static', tls: 'auto' })).status, 201);
  // the store fails the first pass's read of every site (the second read: the first gives the watch its revision)
  let siteRanges = 0;
  const store = new Proxy(h.store, {
    get(target, prop, receiver) {
      if (prop === 'range') {
        return (prefix: string) => {
          if (prefix === keys.sites && ++siteRanges === 2) return Promise.reject(new Error('the store is away'));
          return target.range(prefix);
        };
      }
      const v: unknown = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  const started = Date.now();
  const issuer = await startAcmeIssuer({ store, log: silentLogger, acme: { directoryUrl, tickMs: 20_000, backoffMinMs: 1000, backoffMaxMs: 6 * 3600_000 } });
  t.after(() => issuer.close());
  await waitFor(async () => (await h.store.get(keys.certStatus('shop'))) !== undefined, { what: 'the site looked at after the failed pass', timeoutMs: 15_000 });
  assert.ok(siteRanges >= 3, `the pass was tried again (${siteRanges} reads)`);
  assert.ok(Date.now() - started < 15_000, 'before the next tick (20 s)');
});
