import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { healthTarget, httpHealthCheck } from './health-check.ts';
import { waitFor } from '../lib/wait.ts';
import { STATIC_HEALTH_PATH } from '../model/index.ts';
import { HEALTH_PATH } from '../web-runtime/index.ts';

test('2xx and 3xx pass; 4xx, 5xx, refused and slow fail', async (t) => {
  const seen: { url?: string; host?: string }[] = [];
  const server = http.createServer((req, res) => {
    seen.push({ url: req.url, host: req.headers.host });
    if (req.url === '/slow') return;
    res.statusCode = Number(req.url!.slice(1));
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));
  const port = (server.address() as AddressInfo).port;
  const check = (path: string) => httpHealthCheck({ address: '127.0.0.1', port, path, host: 'site.example' }, path === '/slow' ? 100 : 5_000);
  assert.equal(await check('/200'), true);
  assert.equal(await check('/302'), true);
  assert.equal(await check('/404'), false);
  assert.equal(await check('/503'), false);
  assert.equal(await check('/slow'), false);
  assert.equal(seen[0]!.host, 'site.example');
  assert.equal(await httpHealthCheck({ address: '127.0.0.1', port: 1, path: '/', host: 'x' }, 5_000), false);
  // a port net refuses outright resolves false rather than throwing
  for (const bad of [0, 70_000, Number.NaN]) assert.equal(await httpHealthCheck({ address: '127.0.0.1', port: bad, path: '/', host: 'x' }, 5_000), false, String(bad));
  // what node refuses to send (a record the engine should have skipped) fails the check instead of throwing
  assert.equal(await check('/a b'), false);
  assert.equal(await check('/x\r\nHost: evil'), false);
  assert.equal(await httpHealthCheck({ address: '127.0.0.1', port, path: '/', host: 'x\r\ny: z' }, 5_000), false);
  assert.equal(seen.length, 5, 'nothing unsendable reached the server');
});

test('static VSs are checked on /.corral/health, apps on healthPath with their first domain', () => {
  assert.deepEqual(healthTarget({ kind: 'static', healthPath: '/', domains: ['a.example'], site: 's' }, '127.77.0.1', 5), { address: '127.77.0.1', port: 5, path: '/.corral/health', host: 'a.example' });
  assert.deepEqual(healthTarget({ kind: 'app', healthPath: 'healthz', domains: [], site: 's' }, '127.77.0.1', 5), { address: '127.77.0.1', port: 5, path: '/healthz', host: 's' });
  assert.equal(STATIC_HEALTH_PATH, HEALTH_PATH, 'the path the model names is the one the web runtime answers');
});

test('probes of a VS share one kept connection; one the VS closed meanwhile is not a failure', async (t) => {
  let connections = 0;
  const server = http.createServer((_req, res) => res.end('ok'));
  server.on('connection', () => connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));
  const target = { address: '127.0.0.1', port: (server.address() as AddressInfo).port, path: '/', host: 'site.example' };
  for (let i = 0; i < 5; i++) assert.equal(await httpHealthCheck(target, 5_000), true);
  assert.equal(connections, 1, 'five probes over one connection');
  // the VS drops its idle connections (a restart, its own idle timeout) without the agent having seen the close yet
  server.closeIdleConnections();
  assert.equal(await httpHealthCheck(target, 5_000), true);
  assert.ok(connections >= 2 && connections <= 3, `a new connection after the old one closed (${connections})`);
});

/** A server answering each request on a connection with the next of `answers` (raw bytes, written `step` bytes at a time); counts connections. */
async function rawServer(t: { after: (fn: () => Promise<void>) => void }, answers: (string | Buffer)[], step = Infinity) {
  const stats = { connections: 0, requests: 0 };
  const sockets = new Set<import('node:net').Socket>();
  const server = (await import('node:net')).createServer((s) => {
    stats.connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    let buf = '';
    s.on('data', async (d) => {
      buf += d.toString('latin1');
      while (buf.includes('\r\n\r\n')) {
        buf = buf.slice(buf.indexOf('\r\n\r\n') + 4);
        const answer = Buffer.from(answers[Math.min(stats.requests++, answers.length - 1)]!);
        for (let i = 0; i < answer.length; i += step) {
          s.write(answer.subarray(i, i + step));
          if (step !== Infinity) await new Promise((r) => setImmediate(r));
        }
        if (/^HTTP\/1\.1 \d+[^\r]*\r\n(?:[^\r]+\r\n)*connection: close/i.test(answer.toString('latin1')) || !/content-length|chunked|^HTTP\/1\.1 (?:204|304)/i.test(answer.toString('latin1'))) s.end();
      }
    });
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }));
  return { stats, target: { address: '127.0.0.1', port: (server.address() as AddressInfo).port, path: '/', host: 'site.example' } };
}

test('the kept connection survives every framing an app answers with: Content-Length, chunked (with trailers), 204, interim 1xx heads, bytes one at a time', async (t) => {
  const answers = [
    'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok',
    'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n1\r\na\r\n3;ext=1\r\nbcd\r\n0\r\nx-trailer: y\r\n\r\n',
    'HTTP/1.1 204 No Content\r\n\r\n',
    'HTTP/1.1 103 Early Hints\r\nlink: </a.css>; rel=preload\r\n\r\nHTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 301 Moved\r\nlocation: /x\r\ncontent-length: 0\r\n\r\n',
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n',
    // what RFC 9112 allows and a parser may trip on: tabs around a value, whitespace before a chunk extension, a size with leading zeros
    'HTTP/1.1 200 OK\r\ncontent-length:\t2\t\r\n\r\nok',
    'HTTP/1.1 200 OK\r\ntransfer-encoding:\tchunked\r\n\r\n0000000000002 ;x=y\r\nok\r\n0\r\n\r\n',
  ];
  for (const step of [Infinity, 1]) {
    const { stats, target } = await rawServer(t, answers, step);
    for (let i = 0; i < answers.length; i++) assert.equal(await httpHealthCheck(target, 5_000), true, `answer ${i}, ${step === 1 ? 'a byte at a time' : 'whole'}`);
    assert.equal(stats.connections, 1, `${answers.length} probes over one connection (${step === 1 ? 'a byte at a time' : 'whole'})`);
  }
});

test('an answer that ends the connection passes on its status and the next probe opens a new one; a malformed or oversized head fails', async (t) => {
  for (const answer of ['HTTP/1.1 200 OK\r\n\r\nuntil the close', 'HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 2\r\n\r\nok', 'HTTP/1.0 200 OK\r\ncontent-length: 2\r\n\r\nok']) {
    const { stats, target } = await rawServer(t, [answer]);
    assert.equal(await httpHealthCheck(target, 5_000), true, JSON.stringify(answer));
    assert.equal(await httpHealthCheck(target, 5_000), true, JSON.stringify(answer));
    assert.equal(stats.connections, 2, `${JSON.stringify(answer)}: a connection per probe`);
  }
  const bad = ['HTTP/1.1 2OO OK\r\n\r\n', 'SSH-2.0-OpenSSH\r\n\r\n', `HTTP/1.1 200 OK\r\nx-big: ${'a'.repeat(20_000)}\r\ncontent-length: 0\r\n\r\n`, 'HTTP/1.1 101 Switching Protocols\r\n\r\n'];
  for (const answer of bad) {
    const { target } = await rawServer(t, [answer]);
    assert.equal(await httpHealthCheck(target, 5_000), false, JSON.stringify(answer.slice(0, 40)));
  }
  // a 2xx whose body never ends: the verdict stands; at the deadline the connection goes, and the next probe opens another
  const { stats, target } = await rawServer(t, ['HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\npartial', 'HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n']);
  assert.equal(await httpHealthCheck(target, 300), true);
  await waitFor(() => stats.connections === 1 && stats.requests === 1, { what: 'the first answer' });
  assert.equal(await httpHealthCheck(target, 5_000), true);
  assert.equal(stats.connections, 2);
});
