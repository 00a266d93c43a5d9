// The raw upstream's timeout sweep runs only while it has connections: an idle router
// process does not wake ten times a second for it. Tried with a backend that accepts and
// never answers: the headers timeout (which only the sweep enforces) must fire, the sweep
// must stop once the connection is gone, and a later request must start it again with its
// own timeout enforced.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { waitFor } from '../../lib/wait.ts';
import type { FrontRequest } from '../front/front.ts';
import type { ClientReply } from '../front/client-exchange.ts';
import { RawUpstreams } from './raw-upstreams.ts';
import { listen } from './raw-upstream.testing.ts';
import type { UpstreamRequest } from './upstream.ts';
import { SendStalls } from '../front/send-stalls.ts';

const HEADERS_TIMEOUT_MS = 300;

/** One bodiless GET; resolves with the error its try failed with and how long that took. */
function tryOnce(up: RawUpstreams, port: number): { failed: Promise<{ err: Error; ms: number }> } {
  const started = performance.now();
  let done!: (v: { err: Error; ms: number }) => void;
  const failed = new Promise<{ err: Error; ms: number }>((r) => (done = r));
  const r: UpstreamRequest = {
    req: { method: 'GET', httpVersionMajor: 1 } as unknown as FrontRequest,
    body: null,
    head: 'GET / HTTP/1.1\r\nhost: silent.test\r\n\r\n',
    res: {} as unknown as ClientReply, // never reached: no answer comes
    tryFailed: (err) => done({ err, ms: performance.now() - started }),
    stalls: new SendStalls(0),
    perTryLenient: undefined,
    fresh: false,
  };
  up.send({ vs: 'v1', address: '127.0.0.1', port, release: 'r1' }, `127.0.0.1:${port}`, r, undefined, undefined);
  return { failed };
}

test('the raw upstream sweeps its timeouts only while it has connections', async (t) => {
  const sockets = new Set<Socket>();
  const silent = createServer((s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); }); // accepts, never answers
  const port = await listen(t, silent);
  t.after(() => { for (const s of sockets) s.destroy(); });
  const up = new RawUpstreams({ connectTimeoutMs: 1_000, headersTimeoutMs: HEADERS_TIMEOUT_MS, bodyTimeoutMs: 1_000, keepAliveMs: 1_000 });
  t.after(() => up.destroy());
  assert.equal(up.sweeping, false, 'no connection yet: no sweep');

  for (const round of [1, 2]) {
    const { failed } = tryOnce(up, port);
    assert.equal(up.sweeping, true, `round ${round}: a connection, so a sweep`);
    const { err, ms } = await failed;
    assert.match(err.message, /timeout|timed out/i, `round ${round}: the headers timeout ended the try: ${err.message}`);
    assert.ok(ms >= HEADERS_TIMEOUT_MS - 20 && ms < HEADERS_TIMEOUT_MS + 1_000, `round ${round}: after ≈ ${HEADERS_TIMEOUT_MS} ms, not ${Math.round(ms)}`);
    await waitFor(() => !up.sweeping, { timeoutMs: 2_000, what: `round ${round}: the sweep stopped with the connection gone` });
  }
});

test('the raw upstream carries every bodiless request, HTTP/2 clients\' too; a request with a body goes to undici', () => {
  const up = new RawUpstreams({ connectTimeoutMs: 1_000, headersTimeoutMs: 1_000, bodyTimeoutMs: 1_000, keepAliveMs: 1_000 });
  for (const httpVersionMajor of [1, 2]) {
    const req = { method: 'GET', httpVersionMajor } as unknown as FrontRequest;
    assert.equal(up.carries(req, false), true, `HTTP/${httpVersionMajor}, no body`);
    assert.equal(up.carries(req, true), false, `HTTP/${httpVersionMajor}, a body`);
  }
});
