// Site certificates of either key type are served under TLS 1.2 and 1.3 and over HTTP/2,
// whatever the default certificate's key type (the dev certificate is EC; many operators'
// are RSA). Seen three ways: node:tls pinned to one version, `openssl s_client` (its own
// client preferences: ECDSA first), and node:http2 with ALPN h2 (a request answered).

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { connect as h2connect, constants } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { connect as tlsConnect, type SecureVersion } from 'node:tls';
import { selfSigned, type TestKeyType } from '../../lib/tls-testing.ts';
import { buildRouter } from '../router.ts';
import { route, startBackend } from '../testing.ts';

const VERSIONS: readonly SecureVersion[] = ['TLSv1.2', 'TLSv1.3'];
const KEYS: readonly TestKeyType[] = ['ec', 'rsa'];

/** A router whose default certificate has key type `def`, with an EC site and an RSA site. */
async function startRouter(t: TestContext, def: TestKeyType) {
  const backend = await startBackend(t, 'site');
  const router = buildRouter({ tls: selfSigned(t, 'default.localhost', ['DNS:localhost'], { key: def }) });
  router.setRoutes([route('ec', ['ec.test'], [backend]), route('rsa', ['rsa.test'], [backend])]);
  router.setCertificates([
    { site: 'ec', ...selfSigned(t, 'ec.test', ['DNS:ec.test'], { key: 'ec' }) },
    { site: 'rsa', ...selfSigned(t, 'rsa.test', ['DNS:rsa.test'], { key: 'rsa' }) },
  ]);
  const server = router.tlsServer!;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => router.destroy());
  return (server.address() as AddressInfo).port;
}

/** node:tls pinned to `version`: the certificate's CN and the version agreed. */
function nodeTls(port: number, servername: string | undefined, version: SecureVersion): Promise<{ cn: string; version: string | null }> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: '127.0.0.1', port, servername, minVersion: version, maxVersion: version, rejectUnauthorized: false }, () => {
      resolve({ cn: String(s.getPeerCertificate().subject.CN), version: s.getProtocol() });
      s.destroy();
    });
    s.on('error', reject);
  });
}

/** `openssl s_client` with its own defaults: the certificate's CN and the version agreed. */
function sClient(port: number, servername: string | undefined, version: SecureVersion): Promise<{ cn: string; version: string }> {
  const args = ['s_client', '-connect', `127.0.0.1:${port}`, version === 'TLSv1.2' ? '-tls1_2' : '-tls1_3'];
  args.push(...(servername ? ['-servername', servername] : ['-noservername']));
  return new Promise((resolve, reject) => {
    const child = execFile('openssl', args, { timeout: 10_000 }, (err, stdout) => {
      const cn = /^subject=.*?CN\s*=\s*([^,\n]+)/m.exec(stdout)?.[1]?.trim();
      const agreed = /^New, (TLSv1\.[23]),/m.exec(stdout)?.[1];
      if (!cn || !agreed) return reject(new Error(`openssl s_client ${args.join(' ')}: no certificate (${err?.message ?? ''})\n${stdout}`));
      resolve({ cn, version: agreed });
    });
    child.stdin!.end(); // s_client ends at EOF on its input
  });
}

/** One HTTP/2 GET with ALPN h2 pinned to `version`: the certificate's CN, the ALPN protocol and the status. */
async function h2(port: number, servername: string, version: SecureVersion) {
  const session = h2connect(`https://127.0.0.1:${port}`, { servername, minVersion: version, maxVersion: version, rejectUnauthorized: false });
  session.on('error', () => {});
  try {
    await once(session, 'connect');
    const socket = session.socket as unknown as { getPeerCertificate(): { subject: { CN: string } } };
    const stream = session.request({ [constants.HTTP2_HEADER_PATH]: '/', [constants.HTTP2_HEADER_AUTHORITY]: servername });
    const [headers] = (await once(stream, 'response')) as [Record<string, string | number>];
    let body = '';
    for await (const c of stream) body += String(c);
    return { cn: socket.getPeerCertificate().subject.CN, alpn: session.alpnProtocol, status: Number(headers[':status']), body };
  } finally {
    session.close();
  }
}

for (const def of KEYS) {
  test(`with an ${def.toUpperCase()} default certificate, EC and RSA site certificates are served on TLS 1.2, 1.3 and HTTP/2`, async (t) => {
    const port = await startRouter(t, def);
    for (const site of KEYS) {
      const name = `${site}.test`;
      for (const version of VERSIONS) {
        const what = `${name} over ${version}, default ${def}`;
        assert.deepEqual(await nodeTls(port, name, version), { cn: name, version }, `node:tls: ${what}`);
        assert.deepEqual(await sClient(port, name, version), { cn: name, version }, `openssl s_client: ${what}`);
        assert.deepEqual(await h2(port, name, version), { cn: name, alpn: 'h2', status: 200, body: 'site' }, `http2: ${what}`);
      }
    }
    for (const version of VERSIONS) {
      for (const name of ['other.test', undefined]) {
        const what = `${name ?? 'no SNI'} over ${version}, default ${def}`;
        assert.equal((await nodeTls(port, name, version)).cn, 'default.localhost', `node:tls: ${what}`);
        assert.equal((await sClient(port, name, version)).cn, 'default.localhost', `openssl s_client: ${what}`);
      }
    }
  });
}
