import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';
import { waitFor } from '../lib/wait.ts';
import { closeGracefully } from './shutdown.ts';

/** A server whose /slow response waits until release() is called. */
async function slowServer(t: TestContext) {
  let release = () => {};
  const released = new Promise<void>((r) => (release = r));
  const server = http.createServer((req, res) => {
    if (req.url === '/slow') void released.then(() => res.end('done'));
    else res.end('fast');
  });
  t.after(() => { server.closeAllConnections(); server.close(); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port, release };
}

function get(port: number, agent: http.Agent, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path, agent }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

test('drains: an in-flight request completes, idle keep-alive connections close, twice is safe', async (t) => {
  const { server, port, release } = await slowServer(t);
  const agent = new http.Agent({ keepAlive: true });
  t.after(() => agent.destroy());
  assert.equal(await get(port, agent, '/fast'), 'fast'); // leaves an idle keep-alive socket
  let connected = false;
  server.once('request', () => (connected = true));
  const slow = get(port, agent, '/slow');
  await waitFor(() => connected, { what: 'the slow request to arrive' });
  const closing = closeGracefully(server, 10_000);
  assert.equal(closeGracefully(server), closing);
  release();
  assert.equal(await slow, 'done');
  assert.equal(await closing, 'drained');
});

test('forces connections shut at the deadline', async (t) => {
  const { server, port } = await slowServer(t);
  const agent = new http.Agent({ keepAlive: true });
  t.after(() => agent.destroy());
  let connected = false;
  server.once('request', () => (connected = true));
  const slow = get(port, agent, '/slow').catch((err: Error) => err.message);
  await waitFor(() => connected, { what: 'the slow request to arrive' });
  assert.equal(await closeGracefully(server, 50), 'forced');
  assert.match(await slow, /socket hang up/);
});
