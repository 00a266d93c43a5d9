// Every error the API answers has the documented shape, `{error: {code, message, id}}` with
// the id also in x-request-id — including those raised before any route runs (Node's parser:
// 431, bad or duplicate Content-Length, a malformed request line) and fastify's own (body
// parsing, content type, unknown route, wrong method → 405 with Allow). Each request is
// written byte for byte on a real socket, so the parser sees exactly what a hostile client sends.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { startController } from './test-harness.ts';

interface RawReply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

test('errors at every layer of the API have the documented shape', async (t) => {
  const h = await startController(t, { limits: { maxJsonBytes: 1024 } });
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  const port = (h.app.server.address() as AddressInfo).port;
  const auth = `Authorization: Bearer ${h.admin.token}\r\n`;
  const json = (path: string, body: string, extra = '') =>
    `POST ${path} HTTP/1.1\r\nHost: api\r\n${auth}Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}Connection: close\r\n\r\n${body}`;

  const cases: [what: string, request: string, status: number, code: string][] = [
    ['headers too large', `GET /v1/health HTTP/1.1\r\nHost: api\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431, 'headers_too_large'],
    ['a Content-Length that is not a number', `POST /v1/customers HTTP/1.1\r\nHost: api\r\n${auth}Content-Type: application/json\r\nContent-Length: abc\r\n\r\n{}`, 400, 'bad_request'],
    ['two Content-Lengths', `POST /v1/customers HTTP/1.1\r\nHost: api\r\n${auth}Content-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}`, 400, 'bad_request'],
    ['Content-Length with Transfer-Encoding', `POST /v1/customers HTTP/1.1\r\nHost: api\r\n${auth}Content-Type: application/json\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n`, 400, 'bad_request'],
    ['a malformed request line', 'GARBAGE\r\n\r\n', 400, 'bad_request'],
    ['an unknown method', `BREW /v1/health HTTP/1.1\r\nHost: api\r\n\r\n`, 400, 'bad_request'],
    ['malformed JSON', json('/v1/customers', '{"name":'), 400, 'invalid_json'],
    ['an empty JSON body', json('/v1/customers', ''), 400, 'invalid_json'],
    ['a JSON body over the limit', json('/v1/customers', JSON.stringify({ name: 'x'.repeat(2000) })), 413, 'payload_too_large'],
    ['a body that says it is over the limit', `POST /v1/customers HTTP/1.1\r\nHost: api\r\n${auth}Content-Type: application/json\r\nContent-Length: 99999\r\nConnection: close\r\n\r\n{}`, 413, 'payload_too_large'],
    ['a wrong content type', `POST /v1/customers HTTP/1.1\r\nHost: api\r\n${auth}Content-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi`, 415, 'unsupported_media_type'],
    ['an unknown route', `GET /v1/nope HTTP/1.1\r\nHost: api\r\n${auth}Connection: close\r\n\r\n`, 404, 'not_found'],
    ['a method the path does not have', `PUT /v1/sites HTTP/1.1\r\nHost: api\r\n${auth}Content-Length: 0\r\nConnection: close\r\n\r\n`, 405, 'method_not_allowed'],
    ['a method fastify does not route', `PROPFIND /v1/health HTTP/1.1\r\nHost: api\r\n${auth}Connection: close\r\n\r\n`, 405, 'method_not_allowed'],
    ['a wrong method on a path naming no site', `DELETE /v1/sites/nope/status HTTP/1.1\r\nHost: api\r\n${auth}Connection: close\r\n\r\n`, 405, 'method_not_allowed'],
    ['a path that does not decode', `GET /v1/sites/%zz HTTP/1.1\r\nHost: api\r\n${auth}Connection: close\r\n\r\n`, 400, 'bad_request'],
    ['a path segment over the length limit', `GET /v1/sites/${'a'.repeat(500)} HTTP/1.1\r\nHost: api\r\n${auth}Connection: close\r\n\r\n`, 414, 'uri_too_long'],
    ['no token', `GET /v1/sites HTTP/1.1\r\nHost: api\r\nConnection: close\r\n\r\n`, 401, 'unauthorized'],
    ['a schema violation', json('/v1/customers', '{"name":"A"}'), 400, 'invalid_request'],
  ];
  for (const [what, request, status, code] of cases) {
    const reply = await exchange(port, request);
    assert.equal(reply.status, status, `${what}: ${reply.status} ${reply.body}`);
    assert.match(reply.headers['content-type'] ?? '', /^application\/json/, what);
    const body = JSON.parse(reply.body) as { error: { code: string; message: string; id: string } };
    assert.deepEqual(Object.keys(body), ['error'], what);
    assert.deepEqual(Object.keys(body.error).sort(), ['code', 'id', 'message'], what);
    assert.equal(body.error.code, code, what);
    assert.match(body.error.id, /^req_[0-9a-f]{16}$/, what);
    assert.equal(reply.headers['x-request-id'], body.error.id, `${what}: the id is also in x-request-id`);
    assert.ok(body.error.message.length > 0, what);
  }
  assert.equal((await h.admin.get('/v1/customers')).json.customers.length, 0, 'nothing was created');
  const wrongMethod = await exchange(port, `PUT /v1/sites HTTP/1.1\r\nHost: api\r\n${auth}Content-Length: 0\r\nConnection: close\r\n\r\n`);
  assert.equal(wrongMethod.headers.allow, 'GET, HEAD, POST', 'Allow lists the methods the path has');
});

/** Writes the request as is and reads the answer until the server closes (or the reply is whole). */
function exchange(port: number, request: string): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const done = () => {
      socket.destroy();
      const text = Buffer.concat(chunks).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      if (split < 0) return reject(new Error(`no HTTP answer: ${JSON.stringify(text.slice(0, 200))}`));
      const [statusLine = '', ...lines] = text.slice(0, split).split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: text.slice(split + 4) });
    };
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      const text = Buffer.concat(chunks).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      const length = /\r\ncontent-length: *(\d+)/i.exec(text.slice(0, split));
      if (split >= 0 && length && Buffer.byteLength(text.slice(split + 4)) >= Number(length[1])) done();
    });
    socket.on('end', done);
    socket.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' && chunks.length ? done() : reject(err)));
    socket.write(request);
  });
}

test('an integer in the query string is decimal digits only: 0x10, 1e1, +5, 5.0, " 5" and 007 are a 400 naming the field, not numbers', async (t) => {
  const h = await startController(t);
  for (const v of ['0x10', '1e1', '+5', '5.0', ' 5', '007', '']) {
    const res = await h.admin.get(`/v1/events?limit=${encodeURIComponent(v)}`);
    assert.equal(res.status, 400, JSON.stringify(v));
    assert.equal(res.json.error.code, 'invalid_request');
    assert.match(res.json.error.message, /^querystring\.limit must be/, JSON.stringify(v));
  }
  assert.equal((await h.admin.get('/v1/events?limit=5')).status, 200);
  assert.match((await h.admin.get('/v1/events?limit=0x10')).json.error.message, /^querystring\.limit must be a whole number in decimal digits \(got "0x10"\)$/);
});
