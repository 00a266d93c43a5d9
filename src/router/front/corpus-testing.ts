// The smuggling corpus's runner, shared by request-hygiene.test.ts (plain TCP, the raw
// front and node:http) and tls-hygiene.test.ts (TLS: both fronts, and a cluster worker).

import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import type { Duplex } from 'node:stream';
import { MALFORMED } from './smuggling-corpus.ts';
import { startBackend, type Backend } from '../testing.ts';

/**
 * Write bytes on a fresh connection once it is ready (the `ready` event; `check` may
 * refuse it then) and read everything until the router closes it.
 */
export function exchangeOn(socket: Duplex, bytes: string, ready: string, check?: () => Error | undefined): Promise<string> {
  return new Promise((resolve, reject) => {
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
    socket.once(ready, () => {
      const refused = check?.();
      if (refused) return reject(refused);
      socket.write(bytes, 'latin1');
    });
  });
}

/** The backend reads each body to its end before answering, as an application would. */
export function recordingBackend(t: TestContext): Promise<Backend> {
  return startBackend(t, 'rec', (req, res) => {
    req.resume();
    req.on('end', () => res.end('ok'));
  });
}

/** Every corpus case gets one 4xx answer and nothing reaches the backend as a second request; then proper requests do reach it, in origin-form and in absolute-form. */
export async function assertCorpusRefused(t: TestContext, send: (bytes: string) => Promise<string>, b: Backend): Promise<void> {
  const statuses: string[] = [];
  for (const c of MALFORMED) {
    const answer = await send(c.bytes).catch((err: Error) => {
      throw new Error(`${c.name}: ${err.message}`);
    });
    const status = /^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1];
    statuses.push(`${c.name}: ${status ?? JSON.stringify(answer.slice(0, 80))}`);
    const responses = answer.match(/^HTTP\/1\.1 /gm)?.length ?? 0;
    assert.ok(status?.startsWith('4'), `${c.name}: expected a 4xx, got ${status ?? JSON.stringify(answer.slice(0, 200))}`);
    assert.equal(responses, 1, `${c.name}: one answer only, got ${responses}`);
  }
  assert.deepEqual(b.seen.filter((s) => s.url.includes('smuggled')), [], 'a smuggled request reached the backend');
  // The recording works: a proper request is seen, over the same kind of connection.
  const ok = await send('GET /sentinel HTTP/1.1\r\nHost: s.test\r\nConnection: close\r\n\r\n');
  assert.match(ok, /^HTTP\/1\.1 200/);
  assert.equal(b.seen.at(-1)?.url, '/sentinel');
  // absolute-form as such is served (the cases above were refused for what they hid): by its authority, in origin-form
  const absolute = await send('GET http://s.test/sentinel HTTP/1.1\r\nHost: other.test\r\nConnection: close\r\n\r\n');
  assert.match(absolute, /^HTTP\/1\.1 200/);
  assert.deepEqual([b.seen.at(-1)?.url, b.seen.at(-1)?.headers.host], ['/sentinel', 's.test']);
  t.diagnostic(statuses.join('; '));
}
