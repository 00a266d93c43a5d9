// The front contract: what every Front (front.ts) must do, on the plain listener and on
// the HTTPS one's HTTP/1.1 connections — keep-alive, pipelining, request bodies by length
// and chunked (handed over mid-connection by the raw front), responses re-framed for the
// client (length kept, chunked, HTTP/1.0 read to close, HEAD), Expect: 100-continue, an
// upgrade tunnelled, an upstream reset answered 502, the refusals and limits (400, 408,
// 413, 431; a Host that is not host[:port], two Host headers, HTTP/1.0 with
// Transfer-Encoding; CONNECT 501), absolute-form targets (routed by their authority,
// forwarded in origin-form; requests and upgrades; their 400s), slow and idle clients,
// closing, backpressure. A front's test file calls
// frontContract() with the rawFront setting that picks it: raw-server.test.ts (the raw
// front, the default) and node-front.test.ts (node:http, rawFront off). (The
// malformed-request corpus runs against both in request-hygiene.test.ts and
// tls-hygiene.test.ts.)
//
// Where the two differ on purpose, FRONT_DIFFERENCES says so, and the cases read it.

import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { describe, test, type TestContext } from 'node:test';
import type { Route } from '../../model/index.ts';
import { waitFor } from '../../lib/wait.ts';
import type { RouterOptions } from '../options.ts';
import { FRONTS, route, startBackend, startRouter, type Backend, type FrontKind, type TestRouter } from '../testing.ts';

export type FrontName = 'raw' | 'node';

/**
 * What the two fronts do differently, in one place:
 * - keepAliveHeader: node:http adds `Keep-Alive: timeout=N` to a keep-alive reply; the raw
 *   front does not (the header is advisory; both close an idle connection after
 *   clientKeepAliveMs).
 * - slowHeadOverTls: over HTTPS/1.1 the raw front cuts a head that takes longer than
 *   clientHeadersTimeoutMs (408); node's HTTP/1.1 side of the HTTP/2 secure server runs
 *   no such check (node:http2 does not track its HTTP/1.1 connections), so there only the
 *   socket's idle timeout (clientRequestTimeoutMs) and the handshake timeout hold.
 *   Plain HTTP: both cut it.
 * - maxPipelined: the raw front reads no further while a reply is owed, so a client may
 *   pipeline any number of requests; node:http emits all it has read at once and reads on,
 *   so node's front closes a connection with more than 128 waiting (node-front.ts).
 */
export const FRONT_DIFFERENCES: Record<FrontName, { keepAliveHeader: boolean; slowHeadOverTls: boolean; maxPipelined: number | undefined }> = {
  raw: { keepAliveHeader: false, slowHeadOverTls: true, maxPipelined: undefined },
  node: { keepAliveHeader: true, slowHeadOverTls: false, maxPipelined: 128 },
};

export function frontContract(front: FrontName): void {
  const rawFront = front === 'raw';
  const start = (t: TestContext, routes: Route[], opts: RouterOptions, kind: FrontKind): Promise<TestRouter> => startRouter(t, routes, { ...opts, rawFront }, kind);

  describe(`front contract: ${front}`, () => {
    for (const kind of FRONTS) {
      test(`pipelined requests are answered in order, one response each (${kind})`, async (t) => {
        const b = await startBackend(t, 'b', (req, res) => {
          const delay = req.url === '/slow' ? 50 : 0;
          setTimeout(() => res.end(`path=${req.url};`), delay);
        });
        const r = await start(t, [route('s', ['s.test'], [b])], {}, kind);
        const c = rawClient(r);
        t.after(() => c.socket.destroy());
        c.socket.write('GET /slow HTTP/1.1\r\nHost: s.test\r\n\r\nGET /a HTTP/1.1\r\nHost: s.test\r\n\r\nGET /b HTTP/1.1\r\nHost: s.test\r\n\r\n');
        await waitFor(() => count(c.text(), 'HTTP/1.1 200') === 3 && c.text().includes('path=/b'), { what: 'three responses' });
        const order = [...c.text().matchAll(/path=(\/[a-z]+);/g)].map((m) => m[1]);
        assert.deepEqual(order, ['/slow', '/a', '/b']);
        assert.equal(c.closed(), false, 'keep-alive: the connection stays open');
      });

      test(`pipelined requests a client takes none of the replies of are forwarded one at a time, and the next only once the router's socket has room: nothing piles up in the router (FRONT_DIFFERENCES) (${kind})`, async (t) => {
        const REPLY = Buffer.alloc(4096, 'x');
        const N = 3_000; // 12 MB of replies: more than loopback's socket buffers hold for a client that reads nothing
        const limit = FRONT_DIFFERENCES[front].maxPipelined;
        let inFlight = 0;
        let most = 0;
        let seen = 0;
        let worstBuffered = 0; // what sat in the router's socket to the client each time a request reached the backend
        let toClient: Socket | undefined;
        const b = await startBackend(t, 'b', (req, res) => {
          seen++;
          most = Math.max(most, ++inFlight);
          worstBuffered = Math.max(worstBuffered, toClient?.writableLength ?? 0);
          res.on('close', () => inFlight--);
          req.resume();
          res.end(REPLY);
        });
        const r = await start(t, [route('s', ['s.test'], [b])], {}, kind);
        r.listener.on(kind === 'https' ? 'secureConnection' : 'connection', (s: Socket) => (toClient = s));
        const client = r.connect();
        t.after(() => client.destroy());
        client.pause(); // (a paused client hears no 'close': the router's side of the connection says it)
        client.on('error', () => {});
        client.write('GET / HTTP/1.1\r\nHost: s.test\r\n\r\n'.repeat(N));
        if (limit !== undefined) {
          await waitFor(() => toClient?.destroyed === true, { what: `the connection closed past ${limit} requests waiting` });
          assert.ok(seen <= limit + 1, `${seen} forwarded`);
          assert.ok(most <= 1, 'one at a time');
          // fewer than the limit: every one answered, still forwarded one at a time
          const within = rawClient(r);
          t.after(() => within.socket.destroy());
          within.socket.write('GET / HTTP/1.1\r\nHost: s.test\r\n\r\n'.repeat(limit - 8));
          await waitFor(() => count(within.text(), 'HTTP/1.1 200 ') === limit - 8, { what: `${limit - 8} replies` });
          assert.equal(most, 1, 'one at a time');
          return;
        }
        await waitFor(() => toClient?.writableNeedDrain === true && inFlight === 0, { what: "the router's socket to the client full" });
        assert.ok(seen < N, `the router stopped forwarding at ${seen} of ${N}`);
        let replies = 0;
        let carry = '';
        client.on('data', (c: Buffer) => {
          const text = carry + c.toString('latin1');
          replies += count(text, 'HTTP/1.1 200 ');
          carry = text.slice(-12);
        });
        client.resume();
        await waitFor(() => replies === N, { what: `all ${N} replies once the client reads`, timeoutMs: 30_000 });
        assert.equal(seen, N);
        assert.equal(most, 1, 'one at a time');
        // each request went on with at most a reply and the socket's high-water mark unsent
        assert.ok(worstBuffered <= 64 * 1024, `${worstBuffered} bytes were waiting in the router when a request was forwarded`);
      });

      test(`a request with a body mid-connection arrives intact and the connection goes on (the raw front hands it to node:http) (${kind})`, async (t) => {
        const b = await startBackend(t, 'b', (req, res) => {
          let body = '';
          req.setEncoding('utf8');
          req.on('data', (c: string) => (body += c));
          req.on('end', () => res.end(`${req.method} ${req.url} body=${body}`));
        });
        const r = await start(t, [route('s', ['s.test'], [b])], {}, kind);
        const c = rawClient(r);
        t.after(() => c.socket.destroy());
        // a GET, then a POST in the same write: the POST waits for the GET's reply, then node:http takes over
        c.socket.write('GET /first HTTP/1.1\r\nHost: s.test\r\n\r\nPOST /post HTTP/1.1\r\nHost: s.test\r\nContent-Length: 11\r\n\r\nhello');
        await waitFor(() => c.text().includes('GET /first body='), { what: 'the GET reply' });
        c.socket.write(' world'); // the rest of the body arrives later
        await waitFor(() => c.text().includes('POST /post body=hello world'), { what: 'the POST reply with its whole body' });
        c.socket.write('GET /after HTTP/1.1\r\nHost: s.test\r\n\r\n');
        await waitFor(() => c.text().includes('GET /after body='), { what: 'a GET after the hand-off' });
        const replies = [...c.text().matchAll(/(GET|POST) (\/\w+) body=/g)].map((m) => m[2]);
        assert.deepEqual(replies, ['/first', '/post', '/after']);
        assert.deepEqual(b.seen.map((s) => s.url), ['/first', '/post', '/after']);
      });

      test(`upstream responses are re-framed: chunked stays chunked, HTTP/1.0 reads to close, HEAD has no body (${kind})`, async (t) => {
        const b = await startBackend(t, 'b', (req, res) => {
          res.writeHead(200, { 'content-type': 'text/plain' }); // no length: node sends it chunked
          res.write('part one,');
          setTimeout(() => res.end(' part two'), 20);
        });
        const r = await start(t, [route('s', ['s.test'], [b])], {}, kind);

        const c11 = rawClient(r);
        t.after(() => c11.socket.destroy());
        c11.socket.write('GET / HTTP/1.1\r\nHost: s.test\r\n\r\n');
        await waitFor(() => c11.text().endsWith('0\r\n\r\n'), { what: 'the last chunk' });
        assert.match(c11.text(), /transfer-encoding: chunked\r\n/i);
        assert.match(c11.text(), /\r\n9\r\npart one,\r\n9\r\n part two\r\n0\r\n\r\n$/);

        const c10 = rawClient(r);
        c10.socket.write('GET / HTTP/1.0\r\nHost: s.test\r\n\r\n');
        await waitFor(() => c10.closed(), { what: 'the HTTP/1.0 connection to close' });
        assert.match(c10.text(), /^HTTP\/1.1 200 OK\r\n/);
        assert.match(c10.text(), /connection: close\r\n/i);
        assert.doesNotMatch(c10.text(), /transfer-encoding/i);
        assert.ok(c10.text().endsWith('\r\n\r\npart one, part two'), c10.text());

        const head = rawClient(r);
        t.after(() => head.socket.destroy());
        head.socket.write('HEAD / HTTP/1.1\r\nHost: s.test\r\n\r\nGET / HTTP/1.1\r\nHost: s.test\r\n\r\n');
        await waitFor(() => count(head.text(), 'HTTP/1.1 200') === 2 && head.text().endsWith('0\r\n\r\n'), { what: 'HEAD then GET' });
        const [headReply] = head.text().split('HTTP/1.1 200').slice(1);
        assert.ok(headReply!.endsWith('\r\n\r\n'), 'the HEAD reply has no body');
      });

      test(`refusals as node:http makes them: no Host, a bad version, a parse error — each a 400 that closes (${kind})`, async (t) => {
        const b = await startBackend(t, 'b');
        const r = await start(t, [route('s', ['s.test'], [b])], {}, kind);
        for (const bytes of ['GET / HTTP/1.1\r\n\r\n', 'GET / HTTP/2.0\r\nHost: s.test\r\n\r\n', 'GET / HTTP/1.1\r\nHost: s.test\r\nBad Header: x\r\n\r\n']) {
          const c = rawClient(r);
          c.socket.write(bytes);
          await waitFor(() => c.closed(), { what: `the connection to close after ${JSON.stringify(bytes)}` });
          assert.match(c.text(), /^HTTP\/1.1 400 /, JSON.stringify(bytes));
        }
        assert.equal(b.seen.length, 0);
      });

      test(`a head that arrives too slowly gets 408 while other clients are served (FRONT_DIFFERENCES); an idle connection is closed (${kind})`, async (t) => {
        const b = await startBackend(t, 'b');
        const r = await start(t, [route('s', ['s.test'], [b])], { clientHeadersTimeoutMs: 300, clientKeepAliveMs: 400 }, kind);
        if (kind === 'http' || FRONT_DIFFERENCES[front].slowHeadOverTls) {
          const slow = rawClient(r);
          slow.socket.write('GET / HTTP/1.1\r\nHost: s.te');
          const drip = setInterval(() => slow.socket.write('s'), 50); // bytes keep coming, the head never ends
          t.after(() => clearInterval(drip));
          assert.equal((await r.send({ host: 's.test' })).status, 200, 'others are served meanwhile');
          await waitFor(() => slow.closed(), { what: 'the slow client to be cut off', timeoutMs: 3_000 });
          clearInterval(drip);
          assert.match(slow.text(), /^HTTP\/1.1 408 /);
        }

        const idle = rawClient(r);
        idle.socket.write('GET / HTTP/1.1\r\nHost: s.test\r\n\r\n');
        await waitFor(() => idle.text().includes('\r\n\r\nb'), { what: 'the reply' });
        const answered = Date.now();
        await waitFor(() => idle.closed(), { what: 'the idle connection to close', timeoutMs: 3_000 });
        assert.ok(Date.now() - answered >= 300, 'not before the keep-alive time');
      });

      test(`a head split into single bytes is read whole (${kind})`, async (t) => {
        const b = await startBackend(t, 'b', (req, res) => res.end(`${req.url} ${req.headers['x-long']}`));
        const r = await start(t, [route('s', ['s.test'], [b])], {}, kind);
        const c = rawClient(r);
        t.after(() => c.socket.destroy());
        c.socket.setNoDelay(true);
        const long = 'v'.repeat(300);
        const bytes = `GET /${'p'.repeat(200)} HTTP/1.1\r\nHost: s.test\r\n${Array.from({ length: 40 }, (_, i) => `X-H${i}: ${i}\r\n`).join('')}X-Long: ${long}\r\n\r\n`;
        for (let i = 0; i < bytes.length; i += 7) {
          c.socket.write(bytes.slice(i, i + 7));
          await new Promise((resolve) => setImmediate(resolve)); // separate reads as far as the loop allows
        }
        await waitFor(() => c.text().includes(long), { what: 'the reply' });
        assert.ok(c.text().includes(`/${'p'.repeat(200)} ${long}`));
        assert.equal(b.seen[0]!.headers['x-h39'], '39');
      });

      test(`closing the router: an idle connection closes at once, an answer in progress finishes and says connection: close (the client sends nothing more on it) (${kind})`, async (t) => {
        let release: (() => void) | undefined;
        const b = await startBackend(t, 'b', (req, res) => {
          if (req.url === '/hold') release = () => res.end('held');
          else res.end('quick');
        });
        const keepAliveMs = 1_500;
        const r = await start(t, [route('s', ['s.test'], [b])], { clientKeepAliveMs: keepAliveMs }, kind);
        const idle = rawClient(r);
        idle.socket.write('GET / HTTP/1.1\r\nHost: s.test\r\n\r\n');
        await waitFor(() => idle.text().includes('quick'), { what: 'the first reply' });
        const busy = rawClient(r);
        busy.socket.write('GET /hold HTTP/1.1\r\nHost: s.test\r\n\r\n');
        await waitFor(() => release !== undefined, { what: 'the held request to reach the backend' });
        const closing = r.router.close();
        const closedAt = Date.now();
        await waitFor(() => idle.closed(), { what: 'the idle connection to close' });
        assert.ok(Date.now() - closedAt < keepAliveMs / 2, 'closed at once, not by its keep-alive timeout');
        assert.equal(busy.closed(), false);
        release!();
        await waitFor(() => busy.closed(), { what: 'the busy connection to close after its reply' });
        assert.ok(busy.text().includes('held'));
        assert.match(busy.text(), /\r\nconnection: close\r\n/i, 'the last reply says the connection closes');
        await closing;
      });

      test(`a large response arrives whole through a client that pauses and resumes (backpressure both ways) (${kind})`, async (t) => {
        const size = 8 * 1024 * 1024;
        const body = Buffer.alloc(size);
        for (let i = 0; i < size; i++) body[i] = (i * 31) & 0xff;
        let pushedBack = 0; // the backend's writes the router held back: the stalled client's pressure reached it
        const b = await startBackend(t, 'big', (req, res) => {
          if (req.url === '/chunked') res.writeHead(200); // no length: chunked from the backend, chunked to the client
          else res.writeHead(200, { 'content-length': String(size) });
          let at = 0;
          const pump = (): void => {
            while (at < size) {
              const chunk = body.subarray(at, (at += 64 * 1024));
              if (!res.write(chunk)) {
                pushedBack++;
                return void res.once('drain', pump);
              }
            }
            res.end();
          };
          pump();
        });
        const r = await start(t, [route('s', ['s.test'], [b])], {}, kind);
        for (const path of ['/fixed', '/chunked']) {
          const before = pushedBack;
          const res = await r.open({ host: 's.test', path }).res;
          res.pause(); // a stalled reader: the pipes fill up back to the backend
          await waitFor(() => pushedBack > before, { what: `${path}: the backend to be pushed back` });
          const chunks: Buffer[] = [];
          for await (const c of res) chunks.push(c as Buffer);
          assert.ok(Buffer.concat(chunks).equals(body), `${path}: the body arrived whole and in order`);
        }
      });

      test(`keep-alive: requests one after the other share one connection, which stays open (${kind})`, async (t) => {
        const b = await startBackend(t, 'b', (req, res) => res.end(`path=${req.url};`));
        const r = await start(t, [route('s', ['s.test'], [b])], {}, kind);
        const c = rawClient(r);
        t.after(() => c.socket.destroy());
        for (const path of ['/one', '/two', '/three']) {
          c.socket.write(`GET ${path} HTTP/1.1\r\nHost: s.test\r\n\r\n`);
          await waitFor(() => c.text().includes(`path=${path};`), { what: `the reply to ${path}` });
        }
        assert.equal(count(c.text(), 'HTTP/1.1 200'), 3);
        assert.equal(c.closed(), false);
        assert.doesNotMatch(c.text(), /connection: close/i);
        assert.equal(/\r\nkeep-alive: timeout=/i.test(c.text()), FRONT_DIFFERENCES[front].keepAliveHeader, 'Keep-Alive header (FRONT_DIFFERENCES)');
      });

      test(`bodies both ways: a chunked request body and a declared one reach the backend whole; a response length is kept (${kind})`, async (t) => {
        const b = await startBackend(t, 'b', (req, res) => {
          let body = '';
          req.setEncoding('utf8');
          req.on('data', (c: string) => (body += c));
          req.on('end', () => {
            const text = `${req.url} got ${body};`;
            res.writeHead(200, { 'content-length': String(Buffer.byteLength(text)) });
            res.end(text);
          });
        });
        const r = await start(t, [route('s', ['s.test'], [b])], {}, kind);
        const c = rawClient(r);
        t.after(() => c.socket.destroy());
        c.socket.write('POST /chunked HTTP/1.1\r\nHost: s.test\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n');
        c.socket.write('6\r\n world\r\n0\r\n\r\n');
        await waitFor(() => c.text().includes('/chunked got hello world;'), { what: 'the chunked body echoed' });
        c.socket.write('POST /declared HTTP/1.1\r\nHost: s.test\r\nContent-Length: 3\r\n\r\nabc');
        await waitFor(() => c.text().includes('/declared got abc;'), { what: 'the declared body echoed' });
        assert.equal(count(c.text(), 'content-length: '), 2, 'each response keeps its length');
        assert.doesNotMatch(c.text(), /transfer-encoding/i);
        assert.equal(c.closed(), false);
      });

      test(`Expect: 100-continue gets 100 Continue before the body is sent, then the answer (${kind})`, async (t) => {
        const b = await startBackend(t, 'b', (req, res) => {
          let body = '';
          req.setEncoding('utf8');
          req.on('data', (c: string) => (body += c));
          req.on('end', () => res.end(`got ${body}; expect=${String(req.headers.expect)}`));
        });
        const r = await start(t, [route('s', ['s.test'], [b])], {}, kind);
        const c = rawClient(r);
        t.after(() => c.socket.destroy());
        c.socket.write('PUT /x HTTP/1.1\r\nHost: s.test\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n');
        await waitFor(() => c.text().startsWith('HTTP/1.1 100 Continue\r\n\r\n'), { what: '100 Continue' });
        c.socket.write('data');
        await waitFor(() => c.text().includes('got data'), { what: 'the final answer' });
        assert.match(c.text(), /HTTP\/1.1 200 OK\r\n/);
        assert.match(c.text(), /expect=undefined/, 'the router answers Expect itself: the backend never sees it');
      });

      test(`any other Expect is 417 from the chain (error id, closes), with or without a body; the backend never sees it (${kind})`, async (t) => {
        const b = await startBackend(t, 'b');
        const r = await start(t, [route('s', ['s.test'], [b])], {}, kind);
        for (const bytes of [
          'GET / HTTP/1.1\r\nHost: s.test\r\nExpect: bogus\r\n\r\n',
          'POST / HTTP/1.1\r\nHost: s.test\r\nExpect: bogus\r\nContent-Length: 4\r\n\r\nbody',
          'PUT / HTTP/1.1\r\nHost: s.test\r\nExpect: 100-continue, bogus\r\nContent-Length: 4\r\n\r\nbody',
        ]) {
          const text = await answer(r, bytes); // resolves once the router closed the connection
          assert.match(text, /^HTTP\/1.1 417 /, bytes);
          assert.match(text, /\r\nx-corral-error-id: [0-9a-f]{8}\r\n/i, bytes);
          assert.match(text, /\r\nconnection: close\r\n/i, bytes);
        }
        assert.equal(b.seen.length, 0);
      });

      test(`Expect: 100-continue for a request the router refuses gets the refusal, never 100 Continue: a declared length over the site's limit (413), an unknown site (404) (${kind})`, async (t) => {
        const b = await startBackend(t, 'b');
        const r = await start(t, [{ ...route('s', ['s.test'], [b]), limits: { maxBodyBytes: 10 } }], {}, kind);
        for (const [host, length, status] of [['s.test', 1_000_000, 413], ['nowhere.test', 4, 404]] as const) {
          const c = rawClient(r);
          t.after(() => c.socket.destroy());
          c.socket.write(`PUT /x HTTP/1.1\r\nHost: ${host}\r\nContent-Length: ${length}\r\nExpect: 100-continue\r\n\r\n`);
          await waitFor(() => c.closed(), { what: `the ${status} and the close` });
          assert.match(c.text(), new RegExp(`^HTTP/1.1 ${status} `), 'the refusal is the first thing the client hears');
          assert.doesNotMatch(c.text(), /100 Continue/);
        }
        assert.equal(b.seen.length, 0, 'nothing reached the backend');
        // an admitted one still gets its 100 (the case above this one)
        const c = rawClient(r);
        t.after(() => c.socket.destroy());
        c.socket.write('PUT /x HTTP/1.1\r\nHost: s.test\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n');
        await waitFor(() => c.text().startsWith('HTTP/1.1 100 Continue\r\n\r\n'), { what: '100 Continue' });
        c.socket.write('data');
        await waitFor(() => c.text().includes('HTTP/1.1 200 OK'), { what: 'the answer' });
      });

      test(`an upgrade is tunnelled byte for byte (${kind})`, async (t) => {
        const b = await startBackend(t, 'ws');
        b.server.on('upgrade', (_req, socket: Socket, head: Buffer) => {
          socket.write('HTTP/1.1 101 Switching Protocols\r\nconnection: upgrade\r\nupgrade: websocket\r\n\r\n');
          if (head.length) socket.write(head);
          socket.pipe(socket);
        });
        const r = await start(t, [route('s', ['s.test'], [b])], {}, kind);
        const c = rawClient(r);
        t.after(() => c.socket.destroy());
        c.socket.write('GET /ws HTTP/1.1\r\nHost: s.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
        await waitFor(() => c.text().includes('\r\n\r\n'), { what: 'the 101' });
        assert.match(c.text(), /^HTTP\/1.1 101 /);
        c.socket.write('ping over the tunnel');
        await waitFor(() => c.text().endsWith('ping over the tunnel'), { what: 'the echo' });
      });

      test(`an upstream that resets the connection is answered with the documented 502 (${kind})`, async (t) => {
        const b = await startBackend(t, 'reset', (req) => req.socket.resetAndDestroy());
        const r = await start(t, [route('s', ['s.test'], [b])], {}, kind);
        for (const method of ['GET', 'POST']) {
          const reply = await r.send({ host: 's.test', method, body: method === 'POST' ? 'x' : undefined });
          assert.equal(reply.status, 502, method);
          assert.match(reply.body, /error id: /);
          assert.match(String(reply.headers['x-corral-error-id']), /^[0-9a-f]{8}$/);
        }
      });

      test(`limits: a head over maxHeaderBytes is 431, a declared body over the site's maxBodyBytes is 413; each closes (${kind})`, async (t) => {
        const b = await startBackend(t, 'b');
        const r = await start(t, [{ ...route('s', ['s.test'], [b]), limits: { maxBodyBytes: 10 } }], { maxHeaderBytes: 2048 }, kind);
        const big = rawClient(r);
        big.socket.write(`GET / HTTP/1.1\r\nHost: s.test\r\nX-Pad: ${'a'.repeat(4096)}\r\n\r\n`);
        await waitFor(() => big.closed(), { what: 'the oversized head to be refused' });
        assert.match(big.text(), /^HTTP\/1.1 431 /);
        const body = rawClient(r);
        body.socket.write(`POST / HTTP/1.1\r\nHost: s.test\r\nContent-Length: 11\r\n\r\n${'x'.repeat(11)}`);
        await waitFor(() => body.closed(), { what: 'the oversized body to be refused' });
        assert.match(body.text(), /^HTTP\/1.1 413 /);
        assert.equal(b.seen.length, 0);
      });

      test(`more header fields than maxRequestHeaders is 431 with or without a body, never a request cut short; at the limit it goes through whole (${kind})`, async (t) => {
        const bodies: string[] = [];
        const b = await startBackend(t, 'b', (req, res) => {
          let body = '';
          req.on('data', (c: Buffer) => (body += c.toString()));
          req.on('end', () => (bodies.push(body), res.end(`headers=${req.rawHeaders.length / 2}`)));
        });
        const r = await start(t, [route('s', ['s.test'], [b])], { maxRequestHeaders: 20 }, kind);
        const fill = (n: number) => Array.from({ length: n }, (_, i) => `X-${i}: 1\r\n`).join('');
        // Host + 17 fillers + Content-Length + Connection = 20 fields: forwarded with its body
        const atLimit = await answer(r, `POST / HTTP/1.1\r\nHost: s.test\r\n${fill(17)}Content-Length: 5\r\nConnection: close\r\n\r\nhello`);
        assert.match(atLimit, /^HTTP\/1.1 200 /);
        assert.deepEqual(bodies, ['hello'], 'the body arrived whole');
        for (const [what, bytes] of [
          ['GET, 21 fields', `GET / HTTP/1.1\r\nHost: s.test\r\n${fill(20)}\r\n`],
          ['POST, 21 fields', `POST / HTTP/1.1\r\nHost: s.test\r\n${fill(19)}Content-Length: 5\r\n\r\nhello`],
          // beyond node:http's own 1000: it would keep the first 1000 and drop Content-Length
          ['POST, 1100 fields', `POST / HTTP/1.1\r\nHost: s.test\r\n${fill(1098)}Content-Length: 5\r\n\r\nhello`],
        ] as const) {
          const text = await answer(r, bytes);
          assert.match(text, /^HTTP\/1.1 431 /, what);
          assert.match(text, /more than 20 header fields/, what);
        }
        assert.equal(b.seen.length, 1, 'only the request at the limit reached the backend');
      });

      test(`a Host that is not host[:port] is 400, never a 404 echoing it; every error answer says nosniff (${kind})`, async (t) => {
        const b = await startBackend(t, 'b');
        const r = await start(t, [route('s', ['s.test'], [b]), route('o', ['other.test'], [b])], {}, kind);
        for (const host of ['a b', 'a,b', 'x/evil', 'other.test@s.test', 's.test:abc', '<script>x</script>', 's.test:', '[::1']) {
          const text = await answer(r, `GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
          assert.match(text, /^HTTP\/1.1 400 /, host);
          assert.match(text, /\r\nx-content-type-options: nosniff\r\n/i, host);
          assert.ok(!text.includes(host), `${host}: not echoed`);
        }
        for (const host of ['nobody.test', 'nobody.test:8080', '127.0.0.1', '[::1]:80']) {
          const text = await answer(r, `GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
          assert.match(text, /^HTTP\/1.1 404 /, host);
          assert.match(text, /\r\nx-content-type-options: nosniff\r\n/i, host);
        }
        assert.equal(b.seen.length, 0);
      });

      test(`two Host headers are 400 whichever of them names a site (${kind})`, async (t) => {
        const b = await startBackend(t, 'b');
        const r = await start(t, [route('s', ['s.test'], [b])], {}, kind);
        for (const hosts of [['s.test', 'nope.test'], ['nope.test', 's.test'], ['nope.test', 'other.nope.test'], ['s.test', 's.test']]) {
          const text = await answer(r, `GET / HTTP/1.1\r\n${hosts.map((h) => `Host: ${h}\r\n`).join('')}\r\n`);
          assert.match(text, /^HTTP\/1.1 400 /, hosts.join(' then '));
          assert.match(text, /more than one Host header/, hosts.join(' then '));
        }
        assert.equal(b.seen.length, 0);
      });

      test(`a request the chain refuses (two Host headers, a bad Host, a declared body over the limit) closes the connection: nothing pipelined behind it is forwarded, after a hand-off too (${kind})`, async (t) => {
        const b = await startBackend(t, 'b', (req, res) => {
          req.resume();
          req.on('end', () => res.end(`${req.url} done;`));
        });
        const r = await start(t, [{ ...route('s', ['s.test'], [b]), limits: { maxBodyBytes: 10 } }], {}, kind);
        const refused = [
          'GET /two-hosts HTTP/1.1\r\nHost: s.test\r\nHost: s.test\r\n\r\n',
          'GET /bad-host HTTP/1.1\r\nHost: s.test/x\r\n\r\n',
          'POST /too-big HTTP/1.1\r\nHost: s.test\r\nContent-Length: 11\r\n\r\n01234567890',
        ];
        const behind = 'POST /behind HTTP/1.1\r\nHost: s.test\r\nContent-Length: 2\r\n\r\nhi';
        for (const first of refused) {
          // with a body first, the raw front has handed the connection to node:http
          for (const lead of ['', 'POST /lead HTTP/1.1\r\nHost: s.test\r\nContent-Length: 1\r\n\r\nx']) {
            const text = await answer(r, lead + first + behind);
            const what = `${lead ? 'after a hand-off: ' : ''}${first.split('\r\n')[0]}`;
            assert.match(text, /HTTP\/1.1 4(00|13) [^]*connection: close/i, what);
            assert.equal(count(text, 'HTTP/1.1 '), lead ? 2 : 1, `${what}: nothing answered behind the refusal`);
          }
        }
        // a /behind forwarded would have left the router before its connection closed: one more request after them all
        assert.equal((await r.send({ host: 's.test', path: '/last' })).status, 200);
        assert.deepEqual(b.seen.map((x) => x.url).filter((u) => u !== '/lead' && u !== '/last'), [], 'nothing behind a refusal reached the backend');
      });

      test(`CONNECT is answered 501, and the connection closed (${kind})`, async (t) => {
        const b = await startBackend(t, 'b');
        const r = await start(t, [route('s', ['s.test'], [b])], {}, kind);
        for (const target of ['s.test:80', 'elsewhere.test:443']) {
          const text = await answer(r, `CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\n`);
          assert.match(text, /^HTTP\/1.1 501 /, target);
          assert.match(text, /\r\nconnection: close\r\n/i, target);
          assert.match(text, /\r\nx-corral-error-id: [0-9a-f]{8}\r\n/i, target);
          assert.match(text, /\r\nx-content-type-options: nosniff\r\n/i, target);
          assert.match(text, /CONNECT is not supported/, target);
        }
        assert.equal(b.seen.length, 0);
      });

      test(`an absolute-form target (http or https, any case) is routed by its authority, not the Host header, and forwarded in origin-form with that authority as Host; bodies and keep-alive as usual (${kind})`, async (t) => {
        const echo = (name: string) => (req: IncomingMessage, res: ServerResponse) => {
          let body = '';
          req.setEncoding('utf8');
          req.on('data', (c: string) => (body += c));
          req.on('end', () => res.end(`${name} ${req.method} ${req.url} host=${req.headers.host} xfh=${String(req.headers['x-forwarded-host'])} body=${body};`));
        };
        const s = await startBackend(t, 's', echo('s'));
        const o = await startBackend(t, 'o', echo('o'));
        const r = await start(t, [route('s', ['s.test'], [s]), route('o', ['other.test'], [o])], {}, kind);
        const c = rawClient(r);
        t.after(() => c.socket.destroy());
        const steps: Array<[request: string, reply: string]> = [
          ['GET http://other.test/cart?x=1 HTTP/1.1\r\nHost: s.test\r\n\r\n', 'o GET /cart?x=1 host=other.test xfh=other.test body=;'],
          ['GET HTTPS://S.TEST HTTP/1.1\r\nHost: other.test\r\n\r\n', 's GET / host=S.TEST xfh=S.TEST body=;'],
          ['HEAD http://s.test:8080?q=1 HTTP/1.1\r\nHost: s.test\r\n\r\n', ''],
          // a body: the raw front hands the connection to node:http, which reads the absolute target itself
          ['POST http://other.test/p HTTP/1.1\r\nHost: s.test\r\nContent-Length: 5\r\n\r\nhello', 'o POST /p host=other.test xfh=other.test body=hello;'],
          ['GET http://s.test/after HTTP/1.1\r\nHost: other.test\r\n\r\n', 's GET /after host=s.test xfh=s.test body=;'],
        ];
        for (const [i, [request, reply]] of steps.entries()) {
          c.socket.write(request);
          await waitFor(() => count(c.text(), 'HTTP/1.1 200 ') === i + 1, { what: `the answer to ${request.split('\r\n')[0]}` });
          assert.ok(c.text().includes(reply), `${request.split('\r\n')[0]}: ${reply}`);
        }
        assert.equal(c.closed(), false, 'keep-alive: the connection stays open');
        assert.deepEqual(s.seen.map((x) => [x.method, x.url, x.headers.host]), [['GET', '/', 'S.TEST'], ['HEAD', '/?q=1', 's.test:8080'], ['GET', '/after', 's.test']]);
        assert.deepEqual(o.seen.map((x) => [x.method, x.url, x.headers.host]), [['GET', '/cart?x=1', 'other.test'], ['POST', '/p', 'other.test']]);
        // HTTP/1.0 needs no Host: the authority is the one the backend gets
        const old = await answer(r, 'GET http://other.test/old HTTP/1.0\r\n\r\n');
        assert.match(old, /^HTTP\/1.1 200 [^]*o GET \/old host=other.test /);
      });

      test(`an absolute-form target the router cannot take is 400 naming what is wrong (userinfo, another scheme, no host, a bad host or port, a bad Host beside it), OPTIONS * too, each closing; a host no site has is 404 whatever the Host header says (${kind})`, async (t) => {
        const b = await startBackend(t, 'b');
        const r = await start(t, [route('s', ['s.test'], [b]), route('o', ['other.test'], [b])], {}, kind);
        const refused: Array<[target: string, why: RegExp, host?: string]> = [
          ['http://user@s.test/x', /userinfo/],
          ['http://other.test@s.test/x', /userinfo/],
          ['ftp://s.test/x', /scheme must be http or https/],
          ['http:///x', /has no host/],
          ['http://s.test:abc/x', /host is not a valid host\[:port\]/],
          ['http://s.test/x', /the Host header is not a valid host\[:port\]/, 's.test/x'],
        ];
        for (const [target, why, host] of refused) {
          const text = await answer(r, `GET ${target} HTTP/1.1\r\nHost: ${host ?? 's.test'}\r\n\r\n`);
          assert.match(text, /^HTTP\/1.1 400 /, target);
          assert.match(text, why, target);
          assert.match(text, /\r\nconnection: close\r\n/i, target);
          assert.match(text, /\r\nx-corral-error-id: [0-9a-f]{8}\r\n/i, target);
        }
        const star = await answer(r, 'OPTIONS * HTTP/1.1\r\nHost: s.test\r\n\r\n');
        assert.match(star, /^HTTP\/1.1 400 [^]*asterisk-form \(OPTIONS \*\) is not answered/);
        const unknown = await answer(r, 'GET http://nobody.test/x HTTP/1.1\r\nHost: s.test\r\n\r\n');
        assert.match(unknown, /^HTTP\/1.1 404 [^]*No site is configured for host nobody.test/);
        assert.equal(b.seen.length, 0);
      });

      test(`an upgrade with an absolute-form target is routed by its authority and tunnelled, the endpoint seeing origin-form and that Host; a bad one is 400 (${kind})`, async (t) => {
        const upgrades = (b: Backend) => {
          const seen: string[] = [];
          b.server.on('upgrade', (req: IncomingMessage, socket: Socket) => {
            seen.push(`${req.url} host=${req.headers.host}`);
            socket.write('HTTP/1.1 101 Switching Protocols\r\nconnection: upgrade\r\nupgrade: websocket\r\n\r\n');
            socket.pipe(socket);
          });
          return seen;
        };
        const s = await startBackend(t, 's');
        const o = await startBackend(t, 'o');
        const sSeen = upgrades(s);
        const oSeen = upgrades(o);
        const r = await start(t, [route('s', ['s.test'], [s]), route('o', ['other.test'], [o])], {}, kind);
        const c = rawClient(r);
        t.after(() => c.socket.destroy());
        c.socket.write('GET http://other.test/ws?room=1 HTTP/1.1\r\nHost: s.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
        await waitFor(() => c.text().includes('\r\n\r\n'), { what: 'the 101' });
        assert.match(c.text(), /^HTTP\/1.1 101 /);
        c.socket.write('ping over the tunnel');
        await waitFor(() => c.text().endsWith('ping over the tunnel'), { what: 'the echo' });
        assert.deepEqual(oSeen, ['/ws?room=1 host=other.test']);
        const bad = await answer(r, 'GET http://user@other.test/ws HTTP/1.1\r\nHost: other.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
        assert.match(bad, /^HTTP\/1.1 400 [^]*userinfo/);
        assert.deepEqual(sSeen, []);
        assert.deepEqual(oSeen, ['/ws?room=1 host=other.test'], 'the refused upgrade reached no endpoint');
      });

      test(`HTTP/1.0 with Transfer-Encoding is 400 and closes: nothing pipelined behind it is answered or forwarded, after a hand-off too (${kind})`, async (t) => {
        const b = await startBackend(t, 'b', (req, res) => {
          req.resume();
          req.on('end', () => res.end(`${req.url} done;`));
        });
        const r = await start(t, [route('s', ['s.test'], [b])], {}, kind);
        const faulty = 'POST /te HTTP/1.0\r\nHost: s.test\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n3\r\nabc\r\n0\r\n\r\n';
        const next = 'GET /second HTTP/1.1\r\nHost: s.test\r\n\r\n';
        const alone = await answer(r, faulty + next);
        assert.match(alone, /^HTTP\/1.1 400 /);
        assert.match(alone, /\r\nx-content-type-options: nosniff\r\n/i);
        assert.equal(count(alone, 'HTTP/1.1 '), 1, 'one answer only');
        // after a request with a body: the raw front has handed the connection to node:http
        const handedOff = await answer(r, `POST /first HTTP/1.1\r\nHost: s.test\r\nContent-Length: 1\r\n\r\nx${faulty}${next}`);
        assert.match(handedOff, /^HTTP\/1.1 200 [^]*\/first done;HTTP\/1.1 400 /);
        assert.equal(count(handedOff, 'HTTP/1.1 '), 2, 'the first answered, the faulty one refused, nothing more');
        assert.deepEqual(b.seen.map((s) => s.url), ['/first']);
      });
    }
  });
}

/** A raw client (TCP or TLS, as the router's front): everything received so far, and whether the router closed the connection. */
function rawClient(r: TestRouter): { socket: Socket; text: () => string; closed: () => boolean } {
  const socket = r.connect();
  let received = '';
  let closed = false;
  socket.on('data', (c: Buffer) => (received += c.toString('latin1')));
  socket.on('error', () => {});
  socket.on('close', () => (closed = true));
  return { socket, text: () => received, closed: () => closed };
}

/** Everything the router answers to bytes on a fresh connection, once it has closed it. */
async function answer(r: TestRouter, bytes: string): Promise<string> {
  const c = rawClient(r);
  c.socket.write(bytes);
  await waitFor(() => c.closed(), { what: `the connection to close after ${JSON.stringify(bytes.slice(0, 60))}` });
  return c.text();
}

function count(text: string, needle: string): number {
  return text.split(needle).length - 1;
}
