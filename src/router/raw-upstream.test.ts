import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createTcpServer } from 'node:net';
import { listen as listenTcp } from './raw-upstream.testing.ts';
import { route, startBackend, startRouter } from './testing.ts';

test('the fast path reuses one upstream connection for sequential requests', async (t) => {
  const b = await startBackend(t, 'b');
  let connections = 0;
  b.server.on('connection', () => connections++);
  const r = await startRouter(t, [route('s', ['s.test'], [b])]);
  for (let i = 0; i < 5; i++) assert.equal((await r.send({ host: 's.test' })).body, 'b');
  assert.equal(connections, 1);
});

test('HEAD gets the headers and no body; 1xx responses are not relayed', async (t) => {
  const b = await startBackend(t, 'b', (req, res) => {
    if (req.url === '/hints') res.writeEarlyHints({ link: '</a.css>; rel=preload' });
    res.writeHead(200, { 'content-length': '5', 'x-kind': req.method });
    res.end(req.method === 'HEAD' ? undefined : 'hello');
  });
  const r = await startRouter(t, [route('s', ['s.test'], [b])]);
  const head = await r.send({ host: 's.test', method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.headers['content-length'], '5');
  assert.equal(head.body, '');
  const hinted = await r.send({ host: 's.test', path: '/hints' });
  assert.equal(hinted.status, 200);
  assert.equal(hinted.body, 'hello');
  assert.equal((await r.send({ host: 's.test' })).body, 'hello'); // the connection is still in step
});

test('a body delimited by the backend closing the connection arrives whole', async (t) => {
  const tcp = createTcpServer((s) => {
    s.once('data', () => s.end('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end'));
  });
  const port = await listenTcp(t, tcp);
  const r = await startRouter(t, [route('s', ['s.test'], [{ vs: 'raw', address: '127.0.0.1', port, release: 'r1' }])]);
  const reply = await r.send({ host: 's.test' });
  assert.equal(reply.status, 200);
  assert.equal(reply.body, 'until the end');
});

test('a malformed upstream response is a 502, not relayed', async (t) => {
  const tcp = createTcpServer((s) => {
    s.once('data', () => s.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'));
  });
  const port = await listenTcp(t, tcp);
  const r = await startRouter(t, [route('s', ['s.test'], [{ vs: 'raw', address: '127.0.0.1', port, release: 'r1' }])]);
  assert.equal((await r.send({ host: 's.test' })).status, 502);
});

test('a backend that closes its idle keep-alive connections costs no request', async (t) => {
  const b = await startBackend(t, 'b', (_req, res) => res.end('ok'));
  b.server.keepAliveTimeout = 1; // closes each connection right after its response
  const r = await startRouter(t, [route('s', ['s.test'], [b])]);
  for (let i = 0; i < 20; i++) assert.equal((await r.send({ host: 's.test' })).status, 200);
});

test('with rawUpstream off every request goes through undici and still works', async (t) => {
  const b = await startBackend(t, 'b');
  const r = await startRouter(t, [route('s', ['s.test'], [b])], { rawUpstream: false });
  assert.equal((await r.send({ host: 's.test' })).body, 'b');
});
