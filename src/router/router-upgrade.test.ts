import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { request, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import { deadEndpoint, FRONTS, route, startBackend, startRouter, type Backend, type TestRouter } from './testing.ts';

// Every case runs on the plain listener and on the HTTPS one (HTTP/1.1 by ALPN: the raw
// front hands an upgrade to node:http's side of the HTTPS server).

/** A backend that accepts `Upgrade: foo` and echoes every byte back. */
async function echoBackend(t: import('node:test').TestContext, name: string): Promise<Backend & { upgrades: IncomingMessage[] }> {
  const b = await startBackend(t, name);
  const upgrades: IncomingMessage[] = [];
  b.server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    upgrades.push(req);
    socket.write('HTTP/1.1 101 Switching Protocols\r\nconnection: upgrade\r\nupgrade: foo\r\n\r\n');
    if (head.length) socket.write(head);
    socket.pipe(socket);
  });
  return Object.assign(b, { upgrades });
}

function upgrade(r: TestRouter, host: string, extra: Record<string, string> = {}) {
  return new Promise<{ res: IncomingMessage; socket: Socket; head: Buffer } | { res: IncomingMessage }>((resolve, reject) => {
    const options = { host: '127.0.0.1', port: r.port, headers: { host, connection: 'upgrade', upgrade: 'foo', ...extra } };
    const req = r.kind === 'https' ? httpsRequest({ ...options, servername: host, rejectUnauthorized: false }) : request(options);
    req.on('upgrade', (res, socket, head) => resolve({ res, socket, head }));
    req.on('response', (res) => resolve({ res }));
    req.on('error', reject);
    req.end();
  });
}

async function readBytes(socket: Socket, head: Buffer, n: number): Promise<Buffer> {
  const chunks = [head];
  let got = head.length;
  while (got < n) {
    const [c] = (await once(socket, 'data')) as [Buffer];
    chunks.push(c);
    got += c.length;
  }
  return Buffer.concat(chunks);
}

for (const kind of FRONTS) {
  test(`an upgraded connection is tunnelled byte for byte (${kind})`, async (t) => {
    const b = await echoBackend(t, 'ws');
    const r = await startRouter(t, [route('s', ['s.test'], [b])], {}, kind);
    const up = await upgrade(r, 's.test', { 'x-forwarded-for': '6.6.6.6', 'x-real-ip': '6.6.6.6', forwarded: 'for=6.6.6.6', 'x-forwarded-port': '1' });
    assert.ok('socket' in up, `expected 101, got ${up.res.statusCode}`);
    assert.equal(up.res.statusCode, 101);
    assert.equal(up.res.headers.upgrade, 'foo');
    const payload = Buffer.from(Array.from({ length: 70_000 }, (_, i) => i % 256));
    up.socket.write(payload);
    assert.deepEqual(await readBytes(up.socket, up.head, payload.length), payload);
    const h = b.upgrades[0]!.headers;
    assert.equal(h.upgrade, 'foo');
    assert.equal(h['x-forwarded-for'], '127.0.0.1', "the client's own forwarding headers are replaced");
    assert.equal(h['x-real-ip'], '127.0.0.1');
    assert.equal(h.forwarded, `for=127.0.0.1;proto=${kind};host=s.test`);
    assert.equal(h['x-forwarded-proto'], kind);
    assert.equal(h['x-forwarded-port'], undefined);
    assert.equal(h.host, 's.test');
    up.socket.destroy();
  });

  test(`an upgrade the endpoint answers with no 101 is relayed as one response (connection: close, via) and the connection closed: what the client sends next never reaches the endpoint unrouted (${kind})`, async (t) => {
    const b = await startBackend(t, 'plain', (req, res) => {
      if (req.url === '/chunked') {
        res.write('one,');
        setTimeout(() => res.end('two'), 20);
      } else res.writeHead(426, { 'content-type': 'text/plain' }).end('upgrade required');
    }); // no 'upgrade' listener: node answers an upgrade request as any other, keep-alive
    const r = await startRouter(t, [route('s', ['s.test'], [b])], {}, kind);
    for (const path of ['/plain', '/chunked']) {
      const c = r.connect();
      let text = '';
      c.on('data', (d: Buffer) => (text += d.toString('latin1')));
      c.on('error', () => {});
      const closed = once(c, 'close');
      // the upgrade, and behind it a request the router never saw
      c.write(`GET ${path} HTTP/1.1\r\nHost: s.test\r\nConnection: upgrade\r\nUpgrade: foo\r\n\r\nGET /sneaked HTTP/1.1\r\nHost: s.test\r\n\r\n`);
      await closed;
      if (path === '/plain') {
        assert.match(text, /^HTTP\/1.1 426 /);
        assert.match(text, /\r\nupgrade required\r\n/);
      } else {
        assert.match(text, /^HTTP\/1.1 200 /);
        assert.match(text, /\r\ntransfer-encoding: chunked\r\n/i);
        assert.match(text, /one,.*two/s);
      }
      assert.match(text, /\r\nconnection: close\r\n/i);
      assert.match(text, /\r\nvia: 1.1 corral\r\n/i);
      assert.doesNotMatch(text, /keep-alive/i, "the endpoint's own hop-by-hop headers are gone");
      assert.equal(count(text, 'HTTP/1.1 '), 1, 'one response');
    }
    assert.deepEqual(b.seen.map((x) => x.url), ['/plain', '/chunked'], 'the request behind the upgrade never reached the endpoint');
  });

  test(`an upgrade skips an endpoint that refuses connections (${kind})`, async (t) => {
    const dead = await deadEndpoint('dead');
    const b = await echoBackend(t, 'ws');
    const r = await startRouter(t, [route('s', ['s.test'], [dead, b])], {}, kind);
    for (let i = 0; i < 3; i++) {
      const up = await upgrade(r, 's.test');
      assert.equal(up.res.statusCode, 101);
      if ('socket' in up) up.socket.destroy();
    }
  });

  test(`an upgrade for an unknown host gets a 404 (${kind})`, async (t) => {
    const b = await echoBackend(t, 'ws');
    const r = await startRouter(t, [route('s', ['s.test'], [b])], {}, kind);
    const up = await upgrade(r, 'other.test');
    assert.equal(up.res.statusCode, 404);
    assert.equal(b.upgrades.length, 0);
  });

  test(`an upgrade to a site whose endpoints are all down is held for startHoldMs, then gets a 502 (${kind})`, async (t) => {
    const dead = await deadEndpoint('dead');
    const r = await startRouter(t, [route('s', ['s.test'], [dead])], { startHoldMs: 300 }, kind);
    const start = performance.now();
    const up = await upgrade(r, 's.test');
    assert.equal(up.res.statusCode, 502);
    assert.ok(performance.now() - start >= 290, 'held for its server to come back first');
  });

  test(`closing one side of a tunnel closes the other (${kind})`, async (t) => {
    const b = await echoBackend(t, 'ws');
    const r = await startRouter(t, [route('s', ['s.test'], [b])], {}, kind);
    const up = await upgrade(r, 's.test');
    assert.ok('socket' in up);
    const backendSocket = b.upgrades[0]!.socket;
    up.socket.destroy();
    await once(backendSocket, 'close');
  });

  test(`a drain: tunnels to the remaining endpoint go on; tunnels to the drained one get a grace period, then close (${kind})`, async (t) => {
    const a = await echoBackend(t, 'a');
    const b = await echoBackend(t, 'b');
    const r = await startRouter(t, [route('s', ['s.test'], [a, b])], { tunnelGraceMs: 300 }, kind);
    const one = await upgrade(r, 's.test');
    const two = await upgrade(r, 's.test');
    assert.ok('socket' in one && 'socket' in two);
    assert.deepEqual([a.upgrades.length, b.upgrades.length], [1, 1], 'one tunnel on each backend');
    const [toA, toB] = [one, two]; // round robin starts at a
    const echo = async (s: Socket, text: string) => {
      s.write(text);
      return (await readBytes(s, Buffer.alloc(0), text.length)).toString();
    };
    r.router.setRoutes([route('s', ['s.test'], [b])]); // a is drained
    const drainedAt = Date.now();
    assert.equal(await echo(toA.socket, 'still here'), 'still here', 'the grace period has begun, not ended');
    assert.equal(await echo(toB.socket, 'hello'), 'hello');
    await once(toA.socket, 'close');
    assert.ok(Date.now() - drainedAt >= 250, 'closed after the grace period, not at once');
    assert.equal(await echo(toB.socket, 'after the drain'), 'after the drain', 'the other tunnel survives the drain');
    toB.socket.destroy();
  });

  test(`a drain: a site's drain timeout longer than the router's grace keeps the drained endpoint's tunnels that long, and drainStopGraceMs more for its server's own stop (${kind})`, async (t) => {
    const a = await echoBackend(t, 'a');
    const b = await echoBackend(t, 'b');
    const r = await startRouter(t, [{ ...route('s', ['s.test'], [a, b]), drainTimeoutMs: 900 }], { tunnelGraceMs: 100, drainStopGraceMs: 300 }, kind);
    const toA = await upgrade(r, 's.test');
    assert.ok('socket' in toA);
    assert.equal(a.upgrades.length, 1, 'round robin starts at a');
    r.router.setRoutes([{ ...route('s', ['s.test'], [b]), drainTimeoutMs: 900 }]); // a is drained
    const drainedAt = Date.now();
    const echo = async (text: string) => {
      toA.socket.write(text);
      return (await readBytes(toA.socket, Buffer.alloc(0), text.length)).toString();
    };
    while (Date.now() - drainedAt < 500) assert.equal(await echo('still here'), 'still here', 'past the router\'s own grace');
    while (Date.now() - drainedAt < 1_050) assert.equal(await echo('its server stopping'), 'its server stopping', 'past the drain: its server is stopped now, and closes it itself');
    await once(toA.socket, 'close');
    assert.ok(Date.now() - drainedAt >= 1_150, `closed after the site's drain timeout and the server's stop grace (${Date.now() - drainedAt} ms)`);
  });
}

function count(text: string, needle: string): number {
  return text.split(needle).length - 1;
}
