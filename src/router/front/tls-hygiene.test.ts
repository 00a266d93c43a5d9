// The smuggling corpus (smuggling-corpus.ts) over TLS: the HTTP/1.1 side of the HTTPS
// listener (ALPN http/1.1) must refuse every case with a 4xx just like plain HTTP, and a
// recording backend proves nothing was smuggled through — on the raw front (the default)
// and on node:http (rawFront off), in-process and in a worker of the router cluster.
// (request-hygiene.test.ts does the same over plain TCP.)
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { selfSigned } from '../../lib/tls-testing.ts';
import { startRouterCluster } from '../index.ts';
import { buildRouter } from '../router.ts';
import { assertCorpusRefused, exchangeOn, recordingBackend } from './corpus-testing.ts';
import { route, type Backend } from '../testing.ts';

/** Write bytes on a fresh TLS connection (HTTP/1.1 by ALPN) and read everything until the router closes it. */
function exchange(port: number, bytes: string): Promise<string> {
  const socket = tlsConnect({ host: '127.0.0.1', port, servername: 's.test', rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] });
  return exchangeOn(socket, bytes, 'secureConnect', () => (socket.alpnProtocol === 'http/1.1' ? undefined : new Error(`ALPN picked ${String(socket.alpnProtocol)}`)));
}

async function assertRefusedOverTls(t: TestContext, port: number, b: Backend): Promise<void> {
  await assertCorpusRefused(t, (bytes) => exchange(port, bytes), b);
  assert.equal(b.seen.at(-1)?.headers['x-forwarded-proto'], 'https');
}

const ROUTES = (b: Backend) => [route('s', ['s.test'], [b]), route('o', ['other.test'], [b])];

test('over TLS in-process: every malformed or smuggling request is refused with a 4xx and nothing is smuggled', async (t) => {
  const b = await recordingBackend(t);
  const router = buildRouter({ tls: selfSigned(t, 's.test', ['DNS:s.test']) });
  router.setRoutes(ROUTES(b));
  const server = router.tlsServer!;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => router.destroy());
  await assertRefusedOverTls(t, (server.address() as AddressInfo).port, b);
});

test('over TLS in-process with rawFront off (node:http): every malformed or smuggling request is refused with a 4xx and nothing is smuggled', async (t) => {
  const b = await recordingBackend(t);
  const router = buildRouter({ tls: selfSigned(t, 's.test', ['DNS:s.test']), rawFront: false });
  router.setRoutes(ROUTES(b));
  const server = router.tlsServer!;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => router.destroy());
  await assertRefusedOverTls(t, (server.address() as AddressInfo).port, b);
});

test('over TLS in a router worker: every malformed or smuggling request is refused with a 4xx and nothing is smuggled', async (t) => {
  const b = await recordingBackend(t);
  const rc = await startRouterCluster({
    workers: 1, listen: { port: 0, host: '127.0.0.1' }, httpsListen: { port: 0, host: '127.0.0.1' },
    router: { tls: selfSigned(t, 's.test', ['DNS:s.test']) }, routes: ROUTES(b),
  });
  t.after(() => rc.close(2_000));
  await assertRefusedOverTls(t, rc.httpsPort!, b);
});
