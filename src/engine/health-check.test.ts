import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { healthTarget, httpHealthCheck } from './health-check.ts';

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
  // what node refuses to send (a record the engine should have skipped) fails the check instead of throwing
  assert.equal(await check('/a b'), false);
  assert.equal(await check('/x\r\nHost: evil'), false);
  assert.equal(await httpHealthCheck({ address: '127.0.0.1', port, path: '/', host: 'x\r\ny: z' }, 5_000), false);
  assert.equal(seen.length, 5, 'nothing unsendable reached the server');
});

test('static VSs are checked on /.corral/health, apps on healthPath with their first domain', () => {
  assert.deepEqual(healthTarget({ kind: 'static', healthPath: '/', domains: ['a.example'], site: 's' }, '127.77.0.1', 5), { address: '127.77.0.1', port: 5, path: '/.corral/health', host: 'a.example' });
  assert.deepEqual(healthTarget({ kind: 'app', healthPath: 'healthz', domains: [], site: 's' }, '127.77.0.1', 5), { address: '127.77.0.1', port: 5, path: '/healthz', host: 's' });
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
