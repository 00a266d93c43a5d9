// End to end, as a user: `corral up` serves HTTPS at once with its self-signed
// development certificate (HTTP/2 by ALPN); a customer uploads its own certificate with
// the CLI and SNI picks it up live; a bad key is refused; HTTP→HTTPS redirect and HSTS per
// site, once the site has its own certificate.
// With two router workers, whatever the machine's core count: every step goes through
// the primary's IPC to the workers (src/router/cluster-tls.test.ts checks each worker).
// The uploaded certificate is RSA beside the EC dev certificate (served under TLS 1.3),
// and --trusted-proxies reaches the workers.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, stat, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { connect as h2connect } from 'node:http2';
import { connect as tlsConnect, type PeerCertificate } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFarmProcess, ok, removeDir, runCli, type FarmProcess } from './helpers/farm-process.ts';
import { get } from './helpers/http.ts';
import { Agent, request } from 'undici';
import { waitFor } from '../src/lib/wait.ts';
import { selfSigned } from '../src/lib/tls-testing.ts';

function peerCert(httpsUrl: string, servername: string): Promise<PeerCertificate> {
  const u = new URL(httpsUrl);
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: u.hostname, port: Number(u.port), servername, rejectUnauthorized: false }, () => {
      resolve(s.getPeerCertificate());
      s.destroy();
    });
    s.on('error', reject);
  });
}

async function h2get(httpsUrl: string, authority: string, ca?: string): Promise<{ alpn: string | false; status: number; body: string }> {
  const session = h2connect(httpsUrl, { servername: authority, ...(ca ? { ca } : { rejectUnauthorized: false }) });
  session.on('error', () => {});
  try {
    await once(session, 'connect');
    const stream = session.request({ ':path': '/', ':authority': authority });
    const [headers] = (await once(stream, 'response')) as [Record<string, string>];
    let body = '';
    for await (const c of stream) body += String(c);
    return { alpn: session.alpnProtocol ?? false, status: Number(headers[':status']), body };
  } finally {
    session.close();
  }
}

describe('HTTPS on a one-machine farm', () => {
  const api = async (method: string, path: string, body: unknown, bearer: string): Promise<Record<string, unknown>> => {
    const res = await fetch(`${farm.apiUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${bearer}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? null : JSON.stringify(body),
    });
    const text = await res.text();
    assert.ok(res.ok, `${method} ${path}: ${res.status} ${text}`);
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  };
  let farm: FarmProcess;
  let httpsUrl = '';
  let token = '';
  let work = '';

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'corral-https-'));
    farm = await startFarmProcess({ extraArgs: ['--router-workers', '2', '--trusted-proxies', '127.0.0.1'] });
    httpsUrl = /https\s+(https:\/\/127\.0\.0\.1:\d+)/.exec(farm.output())?.[1] ?? '';
  });
  after(async () => {
    await farm?.stop();
    await removeDir(farm?.dir ?? '');
    await removeDir(work);
  });

  it('prints the HTTPS URL and keeps the dev key private (0600)', async () => {
    assert.match(httpsUrl, /^https:/, farm.output());
    assert.equal((await stat(join(farm.dir, 'tls', 'dev.key'))).mode & 0o777, 0o600);
    assert.equal((await stat(join(farm.dir, 'tls'))).mode & 0o777, 0o700);
    assert.equal((await stat(join(farm.dir, 'store.db'))).mode & 0o777, 0o600, 'the store keeps site keys');
    assert.equal((await peerCert(httpsUrl, 'anything.localhost')).subject.CN, 'corral.localhost');
  });

  // No release is deployed (that is static-site.test.ts's job, and slow): the router
  // answers the site's requests itself (503, no endpoint), which is enough to see TLS,
  // HTTP/2 and the routing by :authority; router-tls.test.ts proxies h2 to a backend.
  it('serves a site over HTTP/2 with the dev certificate, then with its own once uploaded', async (t) => {
    // set-up through the API (each CLI run is a node start); the certificate commands through the CLI
    token = (await api('POST', '/v1/customers', { name: 'acme' }, farm.token)).token as string;
    await api('POST', '/v1/sites', { name: 'www', domains: ['www.acme.test'], kind: 'static' }, token);
    await waitFor(async () => (await h2get(httpsUrl, 'www.acme.test')).status === 503, { timeoutMs: 10_000, what: 'the route over h2' });
    const first = await h2get(httpsUrl, 'www.acme.test');
    assert.equal(first.alpn, 'h2');
    assert.match(first.body, /www/);
    assert.equal((await h2get(httpsUrl, 'nobody.test')).status, 404);

    const own = selfSigned(t, 'www.acme.test', ['DNS:www.acme.test'], { key: 'rsa' }); // as most real ones; the dev one is EC
    const other = selfSigned(t, 'www.acme.test', ['DNS:www.acme.test']);
    await writeFile(join(work, 'www.crt'), own.cert);
    await writeFile(join(work, 'www.key'), own.key, { mode: 0o600 });
    await writeFile(join(work, 'other.key'), other.key, { mode: 0o600 });
    const refused = await farm.cli(['cert', 'add', 'www', '--cert', join(work, 'www.crt'), '--key', join(work, 'other.key')], { token });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /does not match/);
    await ok(farm.cli(['cert', 'add', 'www', '--cert', join(work, 'www.crt'), '--key', join(work, 'www.key')], { token }));
    const listed = await api('GET', '/v1/sites/www/certificates', undefined, token);
    assert.doesNotMatch(JSON.stringify(listed), /PRIVATE KEY/);
    assert.deepEqual((listed.certificates as Array<{ sans: string[] }>)[0]!.sans, ['www.acme.test']);
    await waitFor(async () => (await peerCert(httpsUrl, 'www.acme.test')).subject.CN === 'www.acme.test', { timeoutMs: 5_000, what: 'the site certificate served' });
    const verified = await h2get(httpsUrl, 'www.acme.test', own.cert); // verified against the uploaded cert as CA
    assert.equal(verified.status, 503);

    await api('DELETE', '/v1/sites/www/certificates', undefined, token);
    await waitFor(async () => (await peerCert(httpsUrl, 'www.acme.test')).subject.CN === 'corral.localhost', { timeoutMs: 5_000, what: 'back to the dev certificate' });
  });

  it('redirects plain HTTP to HTTPS with a 308 and sends HSTS once the site asks for it and has its own certificate', async () => {
    assert.equal((await get(farm.routerUrl, 'www.acme.test', '/')).status, 503);
    await api('PATCH', '/v1/sites/www', { httpsRedirect: true, hsts: { maxAgeSeconds: 600 } }, token);
    const port = new URL(httpsUrl).port;
    // only the dev certificate so far: the redirect waits (the HTTPS answer has no HSTS yet)
    assert.equal((await get(farm.routerUrl, 'www.acme.test', '/x?y=1')).status, 503);
    await ok(farm.cli(['cert', 'add', 'www', '--cert', join(work, 'www.crt'), '--key', join(work, 'www.key')], { token }));
    await waitFor(async () => (await get(farm.routerUrl, 'www.acme.test', '/x?y=1')).status === 308, { timeoutMs: 10_000, what: 'the redirect' });
    assert.equal((await get(farm.routerUrl, 'www.acme.test', '/x?y=1')).headers.location, `https://www.acme.test:${port}/x?y=1`);
    const overHttps = await request(`${httpsUrl}/`, { headers: { host: 'www.acme.test' }, dispatcher: new Agent({ connect: { servername: 'www.acme.test', rejectUnauthorized: false } }) });
    await overHttps.body.text();
    assert.equal(overHttps.headers['strict-transport-security'], 'max-age=600');
    await api('DELETE', '/v1/sites/www/certificates', undefined, token);
    await waitFor(async () => (await get(farm.routerUrl, 'www.acme.test', '/')).status === 503, { timeoutMs: 10_000, what: 'no redirect without the certificate' });
  });

  it('takes the client named by a trusted proxy (--trusted-proxies): a maintenance allowIps address gets through', async () => {
    await api('POST', '/v1/sites', { name: 'ops', domains: ['ops.acme.test'], kind: 'static' }, token);
    await api('PATCH', '/v1/sites/ops', { maintenance: { on: true, allowIps: ['198.51.100.7'] } }, token);
    const send = async (xff?: string) => {
      const res = await request(`${farm.routerUrl}/`, { headers: { host: 'ops.acme.test', ...(xff ? { 'x-forwarded-for': xff } : {}) } });
      return { status: res.statusCode, body: await res.body.text() };
    };
    await waitFor(async () => /maintenance/i.test((await send()).body), { timeoutMs: 10_000, what: 'the maintenance page' });
    // the allowed client behind the proxy (this test, 127.0.0.1) passes maintenance: no endpoint, the router's own 503
    const through = await send('198.51.100.7');
    assert.equal(through.status, 503);
    assert.doesNotMatch(through.body, /maintenance/i);
    assert.match((await send('203.0.113.9')).body, /maintenance/i);
  });

  it('refuses a --trusted-proxies entry that is not an address or CIDR block', async () => {
    const r = await runCli(['up', '--dir', join(work, 'never'), '--trusted-proxies', '10.0.0.0/8,lb.example.com']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /--trusted-proxies: "lb\.example\.com" is not an IP address or CIDR block/);
  });
});
