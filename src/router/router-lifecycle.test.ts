import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request, type IncomingMessage, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { waitFor } from '../lib/wait.ts';
import { buildRouter } from './router.ts';
import { FRONTS, listen, route, startBackend, startRouter } from './testing.ts';

// The cases with a listening router run on the plain listener and on the HTTPS one (HTTP/1.1, the raw front after the handshake).
for (const kind of FRONTS) {
  test(`close() lets an open request finish, then stops (${kind})`, async (t) => {
    let held: ServerResponse | undefined;
    const b = await startBackend(t, 'b', (_req, res) => {
      held = res;
    });
    const r = await startRouter(t, [route('s', ['s.test'], [b])], {}, kind);
    const pending = r.send({ host: 's.test' });
    await waitFor(() => held, { what: 'the request to arrive' });
    let closed = false;
    const closing = r.router.close().then(() => (closed = true));
    await waitFor(() => !r.listener.listening, { what: 'the listener to stop' });
    assert.equal(closed, false);
    held!.end('finished');
    assert.equal((await pending).body, 'finished');
    await closing;
    await r.router.close();
  });

  test(`the raw front lets go of connections it ends: Connection: close leaves none open, close() does not wait on idle keep-alive clients (${kind})`, async (t) => {
    const b = await startBackend(t, 'b');
    const r = await startRouter(t, [route('s', ['s.test'], [b])], {}, kind);
    const connections = () => new Promise<number>((resolve) => r.listener.getConnections((_e, n) => resolve(n)));
    for (let i = 0; i < 3; i++) {
      const reply = await new Promise<number>((resolve, reject) => {
        const options = { host: '127.0.0.1', port: r.port, headers: { host: 's.test', connection: 'close' }, agent: false as const };
        const onResponse = (res: IncomingMessage) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        };
        const req = kind === 'https' ? httpsRequest({ ...options, servername: 's.test', rejectUnauthorized: false }, onResponse) : request(options, onResponse);
        req.on('error', reject);
        req.end();
      });
      assert.equal(reply, 200);
    }
    // the router ended each one after its reply; it must not wait for a FIN it no longer reads
    await waitFor(async () => (await connections()) === 0, { what: 'the ended connections closed' });
    assert.equal((await r.send({ host: 's.test' })).status, 200); // a keep-alive connection, now idle
    assert.equal(await connections(), 1);
    const start = performance.now();
    await r.router.close();
    assert.ok(performance.now() - start < 1_000, `close() took ${Math.round(performance.now() - start)} ms (drain deadline 10 s)`);
  });

  test(`close() gives up waiting after the drain deadline (${kind})`, async (t) => {
    const b = await startBackend(t, 'b', () => {});
    const r = await startRouter(t, [route('s', ['s.test'], [b])], { drainTimeoutMs: 50 }, kind);
    const pending = r.send({ host: 's.test' }).then(
      () => 'answered',
      () => 'cut off',
    );
    await waitFor(() => b.seen.length === 1, { what: 'the request to arrive' });
    await r.router.close();
    assert.equal(await pending, 'cut off');
  });

  test(`destroy() cuts open requests; close and destroy are safe twice (${kind})`, async (t) => {
    const b = await startBackend(t, 'b', () => {});
    const r = await startRouter(t, [route('s', ['s.test'], [b])], {}, kind);
    const pending = r.send({ host: 's.test' }).then(
      () => 'answered',
      () => 'cut off',
    );
    await waitFor(() => b.seen.length === 1, { what: 'the request to arrive' });
    await Promise.all([r.router.destroy(), r.router.destroy(), r.router.close()]);
    assert.equal(await pending, 'cut off');
    await r.router.close();
  });
}

test('a router that never listened closes cleanly', async () => {
  const router = buildRouter();
  await router.close();
  await router.destroy();
});

test('unknown options are rejected', () => {
  assert.throws(() => buildRouter({ retries: 3 } as never), /unknown router option "retries"/);
  assert.throws(() => buildRouter({ ejectMs: -1 }), /ejectMs/);
});

test('buildRouter does not listen; the caller does', async () => {
  const router = buildRouter();
  assert.equal(router.server.listening, false);
  await listen(router.server);
  assert.equal(router.server.listening, true);
  await router.close();
  assert.equal(router.server.listening, false);
});
