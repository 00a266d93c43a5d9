import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { assertCorpusRefused, exchangeOn, recordingBackend } from './corpus-testing.ts';
import { route, startBackend, startRouter } from '../testing.ts';

/** Write bytes on a fresh connection and read everything until the router closes it. */
function exchange(port: number, bytes: string): Promise<string> {
  return exchangeOn(connect({ host: '127.0.0.1', port }), bytes, 'connect');
}

test('every malformed or smuggling request is refused with a 4xx and nothing is smuggled', async (t) => {
  const b = await recordingBackend(t);
  const r = await startRouter(t, [route('s', ['s.test'], [b]), route('o', ['other.test'], [b])]);
  await assertCorpusRefused(t, (bytes) => exchange(r.port, bytes), b);
});

test('with rawFront off (node:http): every malformed or smuggling request is refused with a 4xx and nothing is smuggled', async (t) => {
  const b = await recordingBackend(t);
  const r = await startRouter(t, [route('s', ['s.test'], [b]), route('o', ['other.test'], [b])], { rawFront: false });
  await assertCorpusRefused(t, (bytes) => exchange(r.port, bytes), b);
});

test('spoofed X-Forwarded-* from an untrusted client never reach the backend', async (t) => {
  const b = await startBackend(t, 'rec');
  const r = await startRouter(t, [route('s', ['s.test'], [b])]);
  await exchange(
    r.port,
    'GET / HTTP/1.1\r\nHost: s.test\r\nX-Forwarded-For: 6.6.6.6\r\nX-FORWARDED-FOR: 7.7.7.7\r\nx-forwarded-proto: https\r\n' +
      'X-Forwarded-Host: evil.test\r\nVia: 1.1 evil\r\nConnection: close\r\n\r\n',
  );
  const h = b.seen[0]!.headers;
  assert.equal(h['x-forwarded-for'], '127.0.0.1');
  assert.equal(h['x-forwarded-proto'], 'http');
  assert.equal(h['x-forwarded-host'], 's.test');
  assert.equal(h.via, '1.1 evil, 1.1 corral');
});
