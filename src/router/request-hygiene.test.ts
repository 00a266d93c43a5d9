import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { MALFORMED } from './smuggling-corpus.ts';
import { route, startBackend, startRouter } from './testing.ts';

/** Write bytes on a fresh connection and read everything until the router closes it. */
function exchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the router did not close the connection; got ${JSON.stringify(Buffer.concat(chunks).toString().slice(0, 200))}`));
    }, 5_000);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => {}); // a reset after the answer is fine: the bytes read so far count
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('latin1'));
    });
    socket.write(bytes, 'latin1');
  });
}

test('every malformed or smuggling request is refused with a 4xx and nothing is smuggled', async (t) => {
  // The backend reads each body to its end before answering, as an application would.
  const b = await startBackend(t, 'rec', (req, res) => {
    req.resume();
    req.on('end', () => res.end('ok'));
  });
  const r = await startRouter(t, [route('s', ['s.test'], [b]), route('o', ['other.test'], [b])]);
  const statuses: string[] = [];
  for (const c of MALFORMED) {
    const answer = await exchange(r.port, c.bytes).catch((err: Error) => {
      throw new Error(`${c.name}: ${err.message}`);
    });
    const status = /^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1];
    statuses.push(`${c.name}: ${status ?? JSON.stringify(answer.slice(0, 80))}`);
    const responses = answer.match(/^HTTP\/1\.1 /gm)?.length ?? 0;
    assert.ok(status?.startsWith('4'), `${c.name}: expected a 4xx, got ${status ?? JSON.stringify(answer.slice(0, 200))}`);
    assert.equal(responses, 1, `${c.name}: one answer only, got ${responses}`);
  }
  assert.deepEqual(b.seen.filter((s) => s.url.includes('smuggled')), [], 'a smuggled request reached the backend');
  // The recording works: a proper request is seen.
  const ok = await exchange(r.port, 'GET /sentinel HTTP/1.1\r\nHost: s.test\r\nConnection: close\r\n\r\n');
  assert.match(ok, /^HTTP\/1\.1 200/);
  assert.equal(b.seen.at(-1)?.url, '/sentinel');
  t.diagnostic(statuses.join('; '));
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
