import { test } from 'node:test';
import assert from 'node:assert/strict';
import { route, startBackend, startRouter } from './testing.ts';

test('X-Forwarded-* are set, and the client cannot forge them', async (t) => {
  const b = await startBackend(t, 'b');
  const r = await startRouter(t, [route('s', ['s.test'], [b])]);
  await r.send({
    host: 's.test:8080',
    headers: { 'x-forwarded-for': '6.6.6.6', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.test' },
  });
  const h = b.seen[0]!.headers;
  assert.equal(h['x-forwarded-for'], '127.0.0.1');
  assert.equal(h['x-forwarded-proto'], 'http');
  assert.equal(h['x-forwarded-host'], 's.test:8080');
  assert.equal(h.host, 's.test:8080');
  assert.equal(h.via, '1.1 corral');
});

test('with trustProxy the client IP is appended to the chain', async (t) => {
  const b = await startBackend(t, 'b');
  const r = await startRouter(t, [route('s', ['s.test'], [b])], { trustProxy: true });
  await r.send({
    host: 's.test',
    headers: { 'x-forwarded-for': '203.0.113.7, 10.0.0.1', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'www.s.test' },
  });
  const h = b.seen[0]!.headers;
  assert.equal(h['x-forwarded-for'], '203.0.113.7, 10.0.0.1, 127.0.0.1');
  assert.equal(h['x-forwarded-proto'], 'https');
  assert.equal(h['x-forwarded-host'], 'www.s.test');
});

test('hop-by-hop request headers are not forwarded', async (t) => {
  const b = await startBackend(t, 'b');
  const r = await startRouter(t, [route('s', ['s.test'], [b])]);
  await r.send({
    host: 's.test',
    headers: {
      connection: 'keep-alive, x-hop',
      'x-hop': 'secret',
      'keep-alive': 'timeout=5',
      'proxy-connection': 'keep-alive',
      te: 'trailers',
      upgrade: 'h2c',
      'x-end-to-end': 'kept',
    },
  });
  const h = b.seen[0]!.headers;
  for (const name of ['x-hop', 'keep-alive', 'proxy-connection', 'te', 'upgrade']) assert.equal(h[name], undefined, name);
  assert.notEqual(h.connection, 'keep-alive, x-hop');
  assert.equal(h['x-end-to-end'], 'kept');
});

test('hop-by-hop response headers are not forwarded', async (t) => {
  const b = await startBackend(t, 'b', (_req, res) => {
    res.setHeader('connection', 'x-internal');
    res.setHeader('x-internal', 'secret');
    res.setHeader('keep-alive', 'timeout=99');
    res.setHeader('proxy-connection', 'keep-alive');
    res.setHeader('upgrade', 'foo');
    res.setHeader('set-cookie', ['a=1', 'b=2']);
    res.setHeader('x-app', 'kept');
    res.end('ok');
  });
  const r = await startRouter(t, [route('s', ['s.test'], [b])]);
  const reply = await r.send({ host: 's.test' });
  assert.equal(reply.body, 'ok');
  for (const name of ['x-internal', 'proxy-connection', 'upgrade']) assert.equal(reply.headers[name], undefined, name);
  assert.notEqual(reply.headers['keep-alive'], 'timeout=99');
  assert.deepEqual(reply.headers['set-cookie'], ['a=1', 'b=2']);
  assert.equal(reply.headers['x-app'], 'kept');
  assert.equal(reply.headers.via, '1.1 corral');
});

test('request bodies arrive intact, chunked or with a length', async (t) => {
  const b = await startBackend(t, 'echo', (req, res) => req.pipe(res));
  const r = await startRouter(t, [route('s', ['s.test'], [b])]);
  const sized = await r.send({ host: 's.test', method: 'PUT', body: 'x'.repeat(100_000) });
  assert.equal(sized.body, 'x'.repeat(100_000));
  const { req, res: response } = r.open({ host: 's.test', method: 'POST', headers: { 'transfer-encoding': 'chunked' }, stream: true });
  for (let i = 0; i < 3; i++) req.write(`part${i};`);
  req.end();
  const res = await response;
  res.setEncoding('utf8');
  let text = '';
  for await (const c of res) text += c;
  assert.equal(text, 'part0;part1;part2;');
});

test('Expect: 100-continue is answered by the router and the body still arrives', async (t) => {
  const b = await startBackend(t, 'echo', (req, res) => req.pipe(res));
  const r = await startRouter(t, [route('s', ['s.test'], [b])]);
  const { req, res: response } = r.open({ host: 's.test', method: 'POST', headers: { expect: '100-continue', 'content-length': '5' }, stream: true });
  req.on('continue', () => req.end('hello'));
  const res = await response;
  res.setEncoding('utf8');
  let text = '';
  for await (const c of res) text += c;
  assert.equal(text, 'hello');
  assert.equal(b.seen[0]!.headers.expect, undefined);
});
