// ACME challenges on the router, from the store through the route watch: a site's
// HTTP-01 token is answered only through a Host of that site, its TLS-ALPN-01
// certificate only for that site's domain and only to a client asking for acme-tls/1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { connect, type TLSSocket } from 'node:tls';
import { silentLogger } from '../../lib/log.ts';
import { selfSigned } from '../../lib/tls-testing.ts';
import { waitFor } from '../../lib/wait.ts';
import { keys, type AcmeChallengeRecord, type Route } from '../../model/index.ts';
import { openSqliteStore } from '../../store/index.ts';
import { buildRouter } from '../router.ts';
import { CertificateStore } from '../front/tls-certificates.ts';
import { listen, startBackend } from '../testing.ts';
import { watchRoutes } from '../watch-routes.ts';

async function setup(t: import('node:test').TestContext) {
  const dir = mkdtempSync(join(tmpdir(), 'corral-acme-router-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const store = await openSqliteStore(join(dir, 'store.db'));
  t.after(() => store.close());
  const router = buildRouter({ log: silentLogger, tls: selfSigned(t, 'default', ['DNS:default.test']) });
  t.after(() => router.destroy());
  const port = await listen(router.server);
  const httpsPort = await listen(router.tlsServer as unknown as import('node:http').Server);
  for (const site of ['alpha', 'beta']) {
    const backend = await startBackend(t, site);
    const r: Route = { site, domains: [`${site[0]}.test`], endpoints: [backend.endpoint], updatedAt: new Date().toISOString() };
    await store.put(keys.route(site), JSON.stringify(r));
  }
  const watch = await watchRoutes(store, router, silentLogger);
  t.after(watch);
  const get = (host: string, path: string) => new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host }, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
  const put = (id: string, rec: Omit<AcmeChallengeRecord, 'createdAt'>) => store.put(keys.acmeChallenge(rec.site, id), JSON.stringify({ ...rec, createdAt: new Date().toISOString() }));
  return { store, get, put, httpsPort };
}

test('an HTTP-01 token is answered through its own site\'s Host only', async (t) => {
  const { store, get, put } = await setup(t);
  await put('tok-a', { site: 'alpha', domain: 'a.test', type: 'http-01', token: 'tok-a', keyAuthorization: 'tok-a.thumbprint' });
  // a record for site b naming a's domain: b does not route a.test, so it is never answered
  await put('tok-forged', { site: 'beta', domain: 'a.test', type: 'http-01', token: 'tok-forged', keyAuthorization: 'forged' });
  await waitFor(async () => (await get('a.test', '/.well-known/acme-challenge/tok-a')).body === 'tok-a.thumbprint', { what: 'the token served' });
  const own = await get('a.test', '/.well-known/acme-challenge/tok-a');
  assert.equal(own.status, 200);
  // another site's Host: the request goes to that site as any other (its backend answers)
  assert.equal((await get('b.test', '/.well-known/acme-challenge/tok-a')).body, 'beta');
  assert.equal((await get('a.test', '/.well-known/acme-challenge/tok-forged')).body, 'alpha');
  assert.equal((await get('b.test', '/.well-known/acme-challenge/tok-forged')).body, 'beta');
  // an unknown host stays a 404, token or not
  assert.equal((await get('c.test', '/.well-known/acme-challenge/tok-a')).status, 404);
  await store.delete(keys.acmeChallenge('alpha', 'tok-a'));
  await waitFor(async () => (await get('a.test', '/.well-known/acme-challenge/tok-a')).body === 'alpha', { what: 'the token withdrawn' });
});

function handshake(port: number, servername: string, alpn: string[]): Promise<{ alpn: string | false; cn: string } | Error> {
  return new Promise((resolve) => {
    const s: TLSSocket = connect({ host: '127.0.0.1', port, servername, ALPNProtocols: alpn, rejectUnauthorized: false }, () => {
      resolve({ alpn: s.alpnProtocol ?? false, cn: String(s.getPeerCertificate().subject?.CN) });
      s.destroy();
    });
    s.on('error', (err) => resolve(err));
  });
}

test('a TLS-ALPN-01 certificate is shown for its own site\'s domain, to acme-tls/1 clients only', async (t) => {
  const { put, httpsPort } = await setup(t);
  const validation = selfSigned(t, 'validation-a', ['DNS:a.test']);
  await put('alpn-a', { site: 'alpha', domain: 'a.test', type: 'tls-alpn-01', cert: validation.cert, key: validation.key });
  await put('alpn-forged', { site: 'beta', domain: 'a.test', type: 'tls-alpn-01', cert: validation.cert, key: validation.key });
  await waitFor(async () => {
    const r = await handshake(httpsPort, 'a.test', ['acme-tls/1']);
    return !(r instanceof Error) && r.alpn === 'acme-tls/1';
  }, { what: 'the validation certificate' });
  assert.deepEqual(await handshake(httpsPort, 'a.test', ['acme-tls/1']), { alpn: 'acme-tls/1', cn: 'validation-a' });
  // browsers for the same name get the site as usual, never the validation certificate
  assert.deepEqual(await handshake(httpsPort, 'a.test', ['h2', 'http/1.1']), { alpn: 'h2', cn: 'default' });
  assert.deepEqual(await handshake(httpsPort, 'a.test', ['http/1.1']), { alpn: 'http/1.1', cn: 'default' });
  // another site's name: no acme-tls/1 (the handshake is refused), the forged record changes nothing
  assert.ok(await handshake(httpsPort, 'b.test', ['acme-tls/1']) instanceof Error);
});

test('a token is answered before the site\'s HTTPS redirect and maintenance page', async (t) => {
  const { store, get, put } = await setup(t);
  const r: Route = { site: 'gamma', domains: ['g.test'], endpoints: [], httpsRedirect: true, maintenance: { on: true }, updatedAt: new Date().toISOString() };
  await store.put(keys.route('gamma'), JSON.stringify(r));
  await put('tok-g', { site: 'gamma', domain: 'g.test', type: 'http-01', token: 'tok-g', keyAuthorization: 'tok-g.thumbprint' });
  await waitFor(async () => (await get('g.test', '/.well-known/acme-challenge/tok-g')).body === 'tok-g.thumbprint', { what: 'the token served' });
  // everything else gets the maintenance page: the redirect waits for a valid certificate, which the site has not got yet
  assert.equal((await get('g.test', '/')).status, 503);
  assert.equal((await get('g.test', '/.well-known/acme-challenge/other')).status, 503);
});

test('hasCertificate: a site certificate serves the name now (what an HTTPS redirect can wait for)', (t) => {
  const certs = new CertificateStore(silentLogger);
  const own = selfSigned(t, 'a.test', ['DNS:a.test']);
  certs.setRoutes(new Map([['alpha', { site: 'alpha', domains: ['a.test', 'www.a.test'], endpoints: [], updatedAt: '' }]]));
  assert.equal(certs.hasCertificate('a.test'), false);
  certs.setCertificates([{ site: 'alpha', ...own }]);
  assert.equal(certs.hasCertificate('a.test'), true);
  assert.equal(certs.hasCertificate('www.a.test'), false, 'not covered by its SAN: the default certificate serves it');
  assert.equal(certs.hasCertificate('a.test', Date.now() + 3 * 86_400_000), false, 'expired by then');
});
