import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SiteLimits } from '../model/index.ts';
import { FRONTS, route, startBackend, startRouter, type FrontKind } from './testing.ts';

// Every case runs on the plain listener and on the HTTPS one (HTTP/1.1, the raw front after the handshake).

async function limited(t: Parameters<typeof startBackend>[0], kind: FrontKind, limits: SiteLimits, opts = {}) {
  const b = await startBackend(t, 'echo', (req, res) => req.pipe(res));
  const r = await startRouter(t, [{ ...route('s', ['s.test'], [b]), limits }], opts, kind);
  return { b, r };
}

for (const kind of FRONTS) {
  test(`oversized request headers get a 431: the site limit, and the router-wide one (${kind})`, async (t) => {
    const { b, r } = await limited(t, kind, { maxHeaderBytes: 1024 });
    assert.equal((await r.send({ host: 's.test', headers: { 'x-pad': 'a'.repeat(500) } })).status, 200);
    const big = await r.send({ host: 's.test', headers: { 'x-pad': 'a'.repeat(2000) } });
    assert.equal(big.status, 431);
    assert.match(big.body, /ROUTER_HEADERS_TOO_LARGE|larger than this site allows/);
    const huge = await r.send({ host: 's.test', headers: { 'x-pad': 'a'.repeat(20_000) } }).catch(() => ({ status: 431 }));
    assert.equal(huge.status, 431);
    assert.equal(b.seen.length, 1, 'only the small request reached the backend');
  });

  test(`an oversized body gets a 413: at once for a declared length, when it passes the limit for a chunked one (${kind})`, async (t) => {
    const { b, r } = await limited(t, kind, { maxBodyBytes: 1000 });
    assert.equal((await r.send({ host: 's.test', method: 'POST', body: 'x'.repeat(1000) })).body, 'x'.repeat(1000));
    const declared = await r.send({ host: 's.test', method: 'POST', body: 'x'.repeat(1001) });
    assert.equal(declared.status, 413);
    assert.equal(b.seen.length, 1, 'a declared oversized body never reaches the backend');
    const { req, res } = r.open({ host: 's.test', method: 'POST', headers: { 'transfer-encoding': 'chunked' }, stream: true });
    req.on('error', () => {}); // the router may close before the client is done writing
    req.write('x'.repeat(600));
    req.end('x'.repeat(600));
    const chunked = await res.catch(() => ({ statusCode: 413 }));
    assert.equal(chunked.statusCode, 413);
  });

  test(`a site over its request rate gets 429 with Retry-After (${kind})`, async (t) => {
    const { r } = await limited(t, kind, { requestsPerSecond: 1, burst: 3 });
    const statuses: number[] = [];
    const retryAfter: Array<string | undefined> = [];
    for (let i = 0; i < 5; i++) {
      const reply = await r.send({ host: 's.test' });
      statuses.push(reply.status);
      retryAfter.push(reply.headers['retry-after'] as string | undefined);
    }
    assert.deepEqual(statuses, [200, 200, 200, 429, 429]);
    assert.equal(retryAfter[3], '1');
  });

  test(`a slowloris client is cut off at the header deadline while others are served (${kind})`, async (t) => {
    const { r } = await limited(t, kind, {}, { clientHeadersTimeoutMs: 400, clientRequestTimeoutMs: 1000 });
    const started = Date.now();
    const socket = r.connect();
    socket.on('error', () => {});
    const header = 'GET / HTTP/1.1\r\nHost: s.test\r\nX-Slow: ' + 'a'.repeat(200);
    let i = 0;
    const drip = setInterval(() => socket.write(header[i++ % header.length]!), 20); // a deliberately slow client
    t.after(() => clearInterval(drip));
    let answer = '';
    socket.on('data', (d: Buffer) => (answer += d.toString()));
    const closed = new Promise<number>((resolve) => socket.on('close', () => resolve(Date.now() - started)));
    // meanwhile the router answers everyone else at once
    const served = Date.now();
    assert.equal((await r.send({ host: 's.test' })).status, 200);
    assert.ok(Date.now() - served < 300, 'a normal request is not held up by the slow one');
    const after = await closed;
    clearInterval(drip);
    assert.ok(after >= 350 && after < 2000, `cut off near the 400 ms deadline, after ${after} ms`);
    assert.match(answer, /^HTTP\/1\.1 408|^$/, 'a 408, or a plain close');
  });
}
