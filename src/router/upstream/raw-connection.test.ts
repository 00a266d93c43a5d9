// A raw upstream connection is garbage once it is gone. Its native response parser holds
// a strong handle to itself (and so to the connection's closures, the socket and the
// connection) until it is closed: a router worker that had opened a connection to each of
// 10,000 sites kept ≈ 8 MB of closed connections for good, and a long-lived router would
// keep every connection it ever dropped. Tried with real connections to a loopback server
// (one that answers and is dropped by its keep-alive timeout, one refused, one cut while it
// connects): each connection's WeakRef must clear once a full collection has run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { processGc } from '../../lib/heap-settle.ts';
import { freePort } from '../../lib/free-ports.ts';
import { waitFor } from '../../lib/wait.ts';
import { RawConnection, type ExchangeSink } from './raw-connection.ts';
import { Liveness } from './liveness.ts';

const gc = processGc();
const timeouts = { connectTimeoutMs: 2_000, headersTimeoutMs: 2_000, bodyTimeoutMs: 2_000, keepAliveMs: 100 };

function sink(done: (err?: Error) => void): ExchangeSink {
  return { onHeaders: () => false, onBody: () => {}, onComplete: () => done(), onError: (err) => done(err), onReadDone: () => {} };
}

/** Open a connection in a scope of its own (only a WeakRef leaves it) and run `use` on it. */
function weakly(port: number, use: (c: RawConnection) => void): { ref: WeakRef<RawConnection>; gone: Promise<void> } {
  let gone!: () => void;
  const promise = new Promise<void>((resolve) => (gone = resolve));
  const clock = { now: Date.now() };
  // idle after its exchange: the pool's check, past the keep-alive timeout, drops it
  const onIdle = (c: RawConnection) => setImmediate(() => c.check(Date.now() + 10 * timeouts.keepAliveMs));
  const conn = new RawConnection('k', '127.0.0.1', port, timeouts, clock, new Liveness(), onIdle, () => gone());
  use(conn);
  return { ref: new WeakRef(conn), gone: promise };
}

async function collected(ref: WeakRef<object>, what: string): Promise<void> {
  await waitFor(async () => {
    await new Promise((r) => setImmediate(r)); // a WeakRef's target is kept to the end of the job that read it
    gc();
    return ref.deref() === undefined;
  }, { what, timeoutMs: 5_000 });
}

test('a dropped raw upstream connection is garbage: answered then idle, refused, cut while connecting', async (t) => {
  const server: Server = createServer((_req, res) => res.end('ok'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  server.keepAliveTimeout = 60_000;
  const port = (server.address() as AddressInfo).port;

  // answered, then idle past its keep-alive: dropped by the pool's own check
  let answered = false;
  const idle = weakly(port, (conn) => conn.send('GET / HTTP/1.1\r\nhost: t\r\n\r\n', sink((err) => (answered = !err))));
  await idle.gone;
  assert.ok(answered, 'the exchange was answered before the connection went');
  await collected(idle.ref, 'the idle connection collected');

  const closed = await freePort('127.0.0.1');
  const refused = weakly(closed, (conn) => conn.send('GET / HTTP/1.1\r\nhost: t\r\n\r\n', sink(() => {})));
  await refused.gone;
  await collected(refused.ref, 'the refused connection collected');

  const cut = weakly(port, (conn) => conn.destroy());
  await cut.gone;
  await collected(cut.ref, 'the connection cut while connecting collected');
});
