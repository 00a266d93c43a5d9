// The Node internals the raw fast paths lean on, all reached from raw-parser.ts: if a Node
// upgrade renames or removes one, these fail here, by name, rather than as odd behaviour
// in the router's socket tests.

import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { createServer } from 'node:http';
import { createSecureServer } from 'node:http2';
import { createRequire } from 'node:module';
import { connect, createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { test } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { selfSigned } from '../lib/tls-testing.ts';
import { waitFor } from '../lib/wait.ts';
import { requestParser, responseParser, setHttp1Settings, takeNodeListener } from './raw-parser.ts';

test("_http_common still exports node's llhttp binding with the callbacks and constants used", () => {
  const common = createRequire(import.meta.url)('_http_common') as { HTTPParser?: Record<string, unknown>; methods?: string[] };
  assert.equal(typeof common.HTTPParser, 'function');
  for (const k of ['REQUEST', 'RESPONSE', 'kOnMessageBegin', 'kOnHeaders', 'kOnHeadersComplete', 'kOnBody', 'kOnMessageComplete', 'kOnExecute', 'kLenientNone']) {
    assert.equal(typeof common.HTTPParser![k], 'number', `HTTPParser.${k}`);
  }
  assert.ok(common.methods?.includes('GET'));
  for (const m of ['initialize', 'execute', 'consume', 'unconsume', 'getCurrentBuffer', 'finish', 'close', 'free']) {
    assert.equal(typeof (common.HTTPParser as unknown as { prototype: Record<string, unknown> }).prototype[m], 'function', `HTTPParser#${m}`);
  }
});

test('the request and response parsers read a message through those callbacks', () => {
  const heads: string[] = [];
  const req = requestParser({ onBegin() {}, onHead: (method, url, _ma, _mi, raw) => (heads.push(`${method} ${url} ${raw.join(',')}`), 0) }, 16_384);
  const bytes = Buffer.from('GET /x HTTP/1.1\r\nHost: a\r\n\r\nGET /y HTTP/1.1\r\nHost: b\r\n\r\n'); // two in a row: the parser needs no end-of-message callback to go on
  assert.equal(req.execute(bytes), bytes.length);
  const statuses: number[] = [];
  const res = responseParser({ onHeaders: (status) => (statuses.push(status), false), onBody() {}, onComplete() {} });
  res.execute(Buffer.from('HTTP/1.1 204 No Content\r\n\r\n'));
  assert.deepEqual([heads, statuses], [['GET /x Host,a', 'GET /y Host,b'], [204]]);
  req.close();
  res.close();
});

test("node:http's and node:http2's own connection listeners are still named connectionListener", () => {
  const http = createServer();
  const h2 = createSecureServer({ allowHTTP1: true });
  const before = [http.listenerCount('connection'), h2.listenerCount('secureConnection')];
  takeNodeListener(http, 'connection');
  takeNodeListener(h2, 'secureConnection');
  assert.deepEqual([http.listenerCount('connection'), h2.listenerCount('secureConnection')], [before[0]! - 1, before[1]! - 1], 'taken off the server');
  assert.throws(() => takeNodeListener(new EventEmitter(), 'connection'), /connectionListener\) not found: has a Node upgrade renamed it/);
});

test('a TCP socket still has a stream handle with isStreamBase and a _consumed flag node:http honours', async (t) => {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
  const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
  t.after(() => client.destroy());
  const socket = await accepted;
  const handle = (socket as unknown as { _handle: { isStreamBase?: boolean; _consumed?: boolean; readStart?: unknown } })._handle;
  assert.equal(handle.isStreamBase, true);
  assert.equal(typeof handle.readStart, 'function');
  assert.ok(!handle._consumed, 'not consumed before anyone takes it');
  socket.destroy();
});

test("node:http2's secure server still hands its HTTP/1.1 side the node:http settings set on it (maxHeaderSize, requireHostHeader)", async (t) => {
  const server = createSecureServer({ allowHTTP1: true, ...selfSigned(t, 'h.test', ['DNS:h.test']) }, (_req, res) => res.end('ok'));
  setHttp1Settings(server, { maxHeaderSize: 1024, requireHostHeader: true });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const port = (server.address() as AddressInfo).port;
  const ask = async (head: string): Promise<string> => {
    const socket = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] });
    t.after(() => socket.destroy());
    let text = '';
    socket.on('data', (c: Buffer) => (text += c.toString('latin1')));
    socket.on('error', () => {});
    socket.write(head);
    return waitFor(() => (text.includes('\r\n\r\n') ? text : undefined), { what: 'an answer' });
  };
  assert.match(await ask('GET / HTTP/1.1\r\nHost: h.test\r\n\r\n'), /^HTTP\/1.1 200 /);
  assert.match(await ask(`GET / HTTP/1.1\r\nHost: h.test\r\nX-Pad: ${'a'.repeat(2048)}\r\n\r\n`), /^HTTP\/1.1 431 /, 'maxHeaderSize');
  assert.match(await ask('GET / HTTP/1.1\r\n\r\n'), /^HTTP\/1.1 400 /, 'requireHostHeader');
});
