// What a caller may hold of the controller with request bodies (upload-guard.ts), tried over
// real sockets: a release upload whose body stops arriving (408, closed, its partial file
// gone, the site still on its release), a JSON body that stops, a customer holding more
// uploads at once than it may (429 uploads_busy) while another customer's upload goes
// through, and the slots coming back when the stalled uploads are cut. And what anyone holds
// before a token is read: a client that never finishes its headers (closed after
// headersTimeoutMs), and one address opening more connections than it may (429 at accept,
// its place back once one closes).
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { waitFor } from '../lib/wait.ts';
import { makeTarball, startController, staticSite, type Harness } from './test-harness.ts';
import { CLOSE_GRACE_MS, UPLOADS_PER_CUSTOMER } from './upload-guard.ts';
import type { ControllerLimits } from './options.ts';

async function listening(t: TestContext, bodyIdleMs: number, more: Omit<ControllerLimits, 'bodyIdleMs'> = {}): Promise<Harness & { port: number }> {
  const h = await startController(t, { limits: { bodyIdleMs, ...more } });
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  return { ...h, port: (h.app.server.address() as AddressInfo).port };
}

/** A raw connection that sends a request head and the first bytes of its body, then nothing. */
function stalled(port: number, token: string, path: string, contentType: string, declared: number, first: Buffer): { socket: Socket; received: () => string; closed: Promise<void> } {
  const socket = connect(port, '127.0.0.1');
  let received = '';
  socket.on('data', (c: Buffer) => (received += c.toString()));
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  socket.write(`POST ${path} HTTP/1.1\r\nhost: controller\r\nauthorization: Bearer ${token}\r\ncontent-type: ${contentType}\r\ncontent-length: ${declared}\r\n\r\n`);
  socket.write(first);
  return { socket, received: () => received, closed };
}

const partials = async (h: Harness): Promise<string[]> => (await readdir(join(h.dir, 'blobs', 'tmp'))).filter((n) => n.endsWith('.partial'));

test('an upload whose body stops arriving gets 408 after bodyIdleMs and its connection closes; its partial file is removed and the site keeps its release', async (t) => {
  const h = await listening(t, 300);
  const acme = await h.customer('acme');
  assert.equal((await acme.post('/v1/sites', staticSite('www'))).status, 201);
  const v1 = await makeTarball(t, { 'index.html': 'one' });
  assert.equal((await acme.upload('/v1/sites/www/releases', v1)).status, 201);
  const v2 = await makeTarball(t, { 'index.html': 'two' });
  const t0 = performance.now();
  const up = stalled(h.port, acme.token!, '/v1/sites/www/releases', 'application/gzip', v2.length + 5_000, v2);
  await waitFor(async () => (await partials(h)).length === 1, { what: 'the upload being written' });
  await up.closed;
  assert.ok(performance.now() - t0 >= 280, 'not before bodyIdleMs');
  assert.match(up.received(), /^HTTP\/1\.1 408 /);
  assert.match(up.received(), /"code":"request_timeout"/);
  await waitFor(async () => (await partials(h)).length === 0, { what: 'the partial file removed' });
  const site = await acme.get('/v1/sites/www');
  assert.equal(site.json.site.release, 'v1', 'the site keeps its release');
});

test('a JSON body that stops arriving closes its connection too (408)', async (t) => {
  const h = await listening(t, 300);
  const acme = await h.customer('acme');
  const req = stalled(h.port, acme.token!, '/v1/sites', 'application/json', 1_000, Buffer.from('{"name":'));
  await req.closed;
  assert.match(req.received(), /^HTTP\/1\.1 408 /);
  assert.deepEqual((await acme.get('/v1/sites')).json.sites, []);
});

test(`a customer has at most ${UPLOADS_PER_CUSTOMER} uploads in progress (429 uploads_busy past it), another customer's upload goes through meanwhile, and the slots come back when the stalled ones are cut`, async (t) => {
  const h = await listening(t, 1_500);
  const acme = await h.customer('acme');
  const globex = await h.customer('globex');
  assert.equal((await acme.post('/v1/sites', staticSite('www'))).status, 201);
  assert.equal((await globex.post('/v1/sites', staticSite('shop', { domains: ['shop.globex.test'] }))).status, 201);
  const tarball = await makeTarball(t, { 'index.html': 'x' });
  const held = Array.from({ length: UPLOADS_PER_CUSTOMER }, () => stalled(h.port, acme.token!, '/v1/sites/www/releases', 'application/gzip', tarball.length + 5_000, tarball));
  t.after(() => held.forEach((u) => u.socket.destroy()));
  await waitFor(async () => (await partials(h)).length === UPLOADS_PER_CUSTOMER, { what: 'every held upload being written' });
  const busy = await acme.upload('/v1/sites/www/releases', tarball);
  assert.equal(busy.status, 429);
  assert.equal(busy.json.error.code, 'uploads_busy');
  assert.equal((await globex.upload('/v1/sites/shop/releases', tarball)).status, 201, 'another customer is not held up');
  await Promise.all(held.map((u) => u.closed)); // cut after bodyIdleMs
  // each slot comes back once its route has cleaned up after the cut (just after the close)
  let again = await acme.upload('/v1/sites/www/releases', tarball);
  await waitFor(async () => again.status !== 429 || ((again = await acme.upload('/v1/sites/www/releases', tarball)), again.status !== 429), { what: 'a slot back' });
  assert.equal(again.status, 201, 'the slots came back');
});

/** A raw connection to the API that records what it receives and when it closes. */
function open(port: number): { socket: Socket; received: () => string; closed: Promise<void>; connected: Promise<void> } {
  const socket = connect(port, '127.0.0.1');
  let received = '';
  socket.on('data', (c: Buffer) => (received += c.toString()));
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  const connected = new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  return { socket, received: () => received, closed, connected };
}

test('a client that never finishes its request headers is closed after headersTimeoutMs, without a token', async (t) => {
  const h = await listening(t, 30_000, { headersTimeoutMs: 500 });
  const slow = open(h.port);
  t.after(() => slow.socket.destroy());
  await slow.connected;
  slow.socket.write('GET /v1/sites HTTP/1.1\r\nhost: controller\r\nx-slow: ');
  const t0 = performance.now();
  await slow.closed;
  const ms = performance.now() - t0;
  assert.ok(ms >= 450 && ms < 5_000, `closed after ${Math.round(ms)} ms`);
  assert.match(slow.received(), /^HTTP\/1\.1 408 /);
});

test('one address has at most maxConnectionsPerAddress open: the next gets 429 too_many_connections at accept, and a closed one gives its place back', async (t) => {
  const h = await listening(t, 30_000, { maxConnectionsPerAddress: 3 });
  const held = Array.from({ length: 3 }, () => open(h.port));
  try {
    await Promise.all(held.map((c) => c.connected));
    const extra = open(h.port);
    await extra.closed;
    assert.match(extra.received(), /^HTTP\/1\.1 429 /);
    assert.match(extra.received(), /"code":"too_many_connections"/);
    const health = async () => {
      const c = open(h.port);
      c.socket.write('GET /v1/health HTTP/1.1\r\nhost: controller\r\nconnection: close\r\n\r\n');
      await c.closed;
      return c.received().split('\r\n')[0];
    };
    held[0]!.socket.destroy();
    await held[0]!.closed;
    await waitFor(async () => (await health()) === 'HTTP/1.1 200 OK', { what: 'a place back once one closed' });
    for (const c of held) assert.equal(c.received(), '', 'the connections already open were not touched');
  } finally {
    // before the harness closes the controller: a closing server no longer times out a connection that sent nothing
    for (const c of held) c.socket.destroy();
  }
});

test('a connection that sent nothing does not hold the controller\'s close: it is cut CLOSE_GRACE_MS after', async (t) => {
  const h = await listening(t, 30_000);
  const idle = open(h.port);
  t.after(() => idle.socket.destroy());
  await idle.connected;
  await waitFor(async () => (await connectionCount(h)) === 1, { what: 'the connection accepted' });
  const t0 = performance.now();
  await h.app.close();
  const ms = performance.now() - t0;
  await idle.closed;
  assert.ok(ms >= CLOSE_GRACE_MS - 100 && ms < CLOSE_GRACE_MS + 3_000, `closed after ${Math.round(ms)} ms`);
});

function connectionCount(h: Harness): Promise<number> {
  return new Promise((resolve, reject) => h.app.server.getConnections((err, count) => (err ? reject(err) : resolve(count))));
}
