// The raw front's timeout sweep runs only while the front has connections: an idle router
// worker does not wake for it. Tried with a client that sends half a head and stops: the
// headers timeout (which only the sweep enforces) must answer 408, the sweep must stop
// once the connection is gone, and the next slow client must start it again and get its
// own 408. An idle keep-alive connection keeps the sweep running until it is closed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { waitFor } from '../../lib/wait.ts';
import { routerConfig } from '../options.ts';
import type { RequestChain } from './front.ts';
import { installRawFront } from './raw-server.ts';

const HEADERS_TIMEOUT_MS = 300;

/** A client that sends part of a head and waits; resolves with what it got and when it closed. */
function slowClient(port: number): { socket: Socket; closed: Promise<{ text: string; ms: number }> } {
  const started = performance.now();
  const socket = connect(port, '127.0.0.1');
  let text = '';
  socket.setEncoding('utf8');
  socket.on('data', (d: string) => (text += d));
  socket.write('GET / HTTP/1.1\r\nHost: slow.test\r\n'); // the head never ends
  const closed = new Promise<{ text: string; ms: number }>((resolve) => socket.on('close', () => resolve({ text, ms: performance.now() - started })));
  return { socket, closed };
}

test('the raw front sweeps its timeouts only while it has connections', async (t) => {
  const server = createServer();
  const chain: RequestChain = {
    request: (_req, res) => res.end('ok'),
    upgrade: (_req, socket) => socket.destroy(),
  };
  const front = installRawFront(server, chain, routerConfig({ clientHeadersTimeoutMs: HEADERS_TIMEOUT_MS, clientRequestTimeoutMs: 2_000, clientKeepAliveMs: 400 }));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const { port } = server.address() as AddressInfo;
  assert.equal(front.sweeping, false, 'listening, no connection yet: no sweep');

  for (const round of [1, 2]) {
    const c = slowClient(port);
    t.after(() => c.socket.destroy());
    await waitFor(() => front.sweeping, { timeoutMs: 2_000, what: `round ${round}: the connection started the sweep` });
    const { text, ms } = await c.closed;
    assert.match(text, /^HTTP\/1\.1 408 /, `round ${round}: the slow head got 408, not ${JSON.stringify(text.slice(0, 40))}`);
    assert.ok(ms >= HEADERS_TIMEOUT_MS - 20 && ms < HEADERS_TIMEOUT_MS + 1_500, `round ${round}: after ≈ ${HEADERS_TIMEOUT_MS} ms, not ${Math.round(ms)}`);
    await waitFor(() => !front.sweeping, { timeoutMs: 2_000, what: `round ${round}: the sweep stopped with the connection gone` });
  }

  // a keep-alive connection left idle: the sweep runs on until it closes it
  const idle = connect(port, '127.0.0.1');
  t.after(() => idle.destroy());
  let reply = '';
  idle.setEncoding('utf8');
  idle.on('data', (d: string) => (reply += d));
  const closedAt = new Promise<number>((r) => idle.on('close', () => r(performance.now())));
  idle.write('GET / HTTP/1.1\r\nHost: idle.test\r\n\r\n');
  await waitFor(() => reply.includes('ok'), { timeoutMs: 2_000, what: 'the answer' });
  const answeredAt = performance.now();
  assert.equal(front.sweeping, true, 'an idle keep-alive connection is still a connection');
  const ms = (await closedAt) - answeredAt;
  assert.ok(ms < 400 + 1_500, `the idle connection was closed by the front after its keep-alive (${Math.round(ms)} ms)`);
  await waitFor(() => !front.sweeping, { timeoutMs: 2_000, what: 'the sweep stopped after the idle connection closed' });
});
