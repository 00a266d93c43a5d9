// The smuggling corpus (smuggling-corpus.ts) over TLS: the HTTP/1.1 side of the HTTPS
// listener (ALPN http/1.1) must refuse every case with a 4xx just like plain HTTP, and a
// recording backend proves nothing was smuggled through — in-process and in a worker of
// the router cluster. (request-hygiene.test.ts does the same over plain TCP.)
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { selfSigned } from '../lib/tls-testing.ts';
import { startRouterCluster } from './cluster.ts';
import { buildRouter } from './router.ts';
import { MALFORMED } from './smuggling-corpus.ts';
import { route, startBackend, type Backend } from './testing.ts';

/** Write bytes on a fresh TLS connection (HTTP/1.1 by ALPN) and read everything until the router closes it. */
function exchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, servername: 's.test', rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the router did not close the connection; got ${JSON.stringify(Buffer.concat(chunks).toString().slice(0, 200))}`));
    }, 5_000);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => {}); // a reset after the answer is fine: the bytes read so far count
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('latin1'));
    });
    socket.once('secureConnect', () => {
      if (socket.alpnProtocol !== 'http/1.1') reject(new Error(`ALPN picked ${String(socket.alpnProtocol)}`));
      socket.write(bytes, 'latin1');
    });
  });
}

/** The backend reads each body to its end before answering, as an application would. */
function recordingBackend(t: TestContext): Promise<Backend> {
  return startBackend(t, 'rec', (req, res) => {
    req.resume();
    req.on('end', () => res.end('ok'));
  });
}

async function assertCorpusRefused(t: TestContext, port: number, b: Backend): Promise<void> {
  const statuses: string[] = [];
  for (const c of MALFORMED) {
    const answer = await exchange(port, c.bytes).catch((err: Error) => {
      throw new Error(`${c.name}: ${err.message}`);
    });
    const status = /^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1];
    statuses.push(`${c.name}: ${status ?? JSON.stringify(answer.slice(0, 80))}`);
    const responses = answer.match(/^HTTP\/1\.1 /gm)?.length ?? 0;
    assert.ok(status?.startsWith('4'), `${c.name}: expected a 4xx, got ${status ?? JSON.stringify(answer.slice(0, 200))}`);
    assert.equal(responses, 1, `${c.name}: one answer only, got ${responses}`);
  }
  assert.deepEqual(b.seen.filter((s) => s.url.includes('smuggled')), [], 'a smuggled request reached the backend');
  // The recording works: a proper request is seen, over the same kind of connection.
  const ok = await exchange(port, 'GET /sentinel HTTP/1.1\r\nHost: s.test\r\nConnection: close\r\n\r\n');
  assert.match(ok, /^HTTP\/1\.1 200/);
  assert.equal(b.seen.at(-1)?.url, '/sentinel');
  assert.equal(b.seen.at(-1)?.headers['x-forwarded-proto'], 'https');
  t.diagnostic(statuses.join('; '));
}

const ROUTES = (b: Backend) => [route('s', ['s.test'], [b]), route('o', ['other.test'], [b])];

test('over TLS in-process: every malformed or smuggling request is refused with a 4xx and nothing is smuggled', async (t) => {
  const b = await recordingBackend(t);
  const router = buildRouter({ tls: selfSigned(t, 's.test', ['DNS:s.test']) });
  router.setRoutes(ROUTES(b));
  const server = router.tlsServer!;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => router.destroy());
  await assertCorpusRefused(t, (server.address() as AddressInfo).port, b);
});

test('over TLS in a router worker: every malformed or smuggling request is refused with a 4xx and nothing is smuggled', async (t) => {
  const b = await recordingBackend(t);
  const rc = await startRouterCluster({
    workers: 1, listen: { port: 0, host: '127.0.0.1' }, httpsListen: { port: 0, host: '127.0.0.1' },
    router: { tls: selfSigned(t, 's.test', ['DNS:s.test']) }, routes: ROUTES(b),
  });
  t.after(() => rc.close(2_000));
  await assertCorpusRefused(t, rc.httpsPort!, b);
});
