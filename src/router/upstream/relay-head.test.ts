// relayHead: what a reply cannot take fails the try; it never throws into the parser's or undici's callback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClientReply } from '../front/client-exchange.ts';
import { relayHead } from './relay-head.ts';
import { H2_SINGLE } from './forward-headers.ts';
import { connect, createServer } from 'node:http2';
import { once } from 'node:events';

/** A reply that records writeHead and destroy; throws from writeHead when told to. */
function reply(httpVersionMajor: number, throws?: Error) {
  const calls = { heads: [] as number[], destroyed: undefined as Error | undefined };
  const res = {
    req: { httpVersionMajor },
    writeHead(status: number) {
      if (throws) throw throws;
      calls.heads.push(status);
      return res;
    },
    destroy(err?: Error) {
      calls.destroyed = err;
    },
  } as unknown as ClientReply;
  return { res, calls };
}

test('a head the reply takes is written: nothing refused', () => {
  const { res, calls } = reply(2);
  assert.equal(relayHead(res, 200, ['content-type', 'text/plain']), undefined);
  assert.deepEqual(calls.heads, [200]);
});

test('a status over 599 to an HTTP/2 client is refused before node sees it (an error page can follow); HTTP/1.x clients get it as sent', () => {
  const h2 = reply(2);
  const refused = relayHead(h2.res, 600, []);
  assert.equal(refused?.cut, false);
  assert.equal((refused?.err as { code?: string }).code, 'ROUTER_UPSTREAM_HEAD_REFUSED');
  assert.deepEqual(h2.calls.heads, []);
  assert.equal(h2.calls.destroyed, undefined);
  const h1 = reply(1);
  assert.equal(relayHead(h1.res, 600, []), undefined);
  assert.deepEqual(h1.calls.heads, [600]);
});

test('a writeHead that throws (a header node refuses) cuts that reply and says so: no throw, no error page on it', () => {
  const { res, calls } = reply(2, Object.assign(new TypeError('HTTP/1 Connection specific headers are forbidden'), { code: 'ERR_HTTP2_INVALID_CONNECTION_HEADERS' }));
  const refused = relayHead(res, 200, ['x-new-forbidden', 'x']);
  assert.equal(refused?.cut, true);
  assert.match(refused!.err.message, /cannot carry the upstream's response head: HTTP\/1 Connection specific headers are forbidden/);
  assert.equal(calls.destroyed, refused!.err);
});

test("H2_SINGLE is node:http2's own list of headers sent once, as far as any known header tells (a Node upgrade that changes it fails here)", async (t) => {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => server.close());
  const session = connect(`http://127.0.0.1:${(server.address() as { port: number }).port}`);
  session.on('error', () => {});
  t.after(() => session.destroy());
  await once(session, 'connect');
  const known = [
    ...H2_SINGLE, 'accept-ranges', 'access-control-allow-headers', 'access-control-allow-methods', 'access-control-allow-origin',
    'access-control-expose-headers', 'allow', 'alt-svc', 'cache-control', 'clear-site-data', 'content-disposition', 'content-security-policy',
    'cross-origin-embedder-policy', 'cross-origin-opener-policy', 'cross-origin-resource-policy', 'digest', 'early-data', 'last-event-id', 'link',
    'nel', 'origin', 'permissions-policy', 'pragma', 'proxy-authenticate', 'referrer-policy', 'refresh', 'report-to', 'server', 'server-timing',
    'set-cookie', 'sourcemap', 'strict-transport-security', 'timing-allow-origin', 'vary', 'via', 'warning', 'www-authenticate', 'x-frame-options',
    'x-powered-by', 'x-request-id', 'x-xss-protection',
  ];
  const sentOnce = (name: string): boolean | undefined => {
    try {
      const stream = session.request({ ':path': '/', [name]: ['a', 'b'] }); // node checks the headers before anything is sent
      stream.on('error', () => {});
      stream.close();
      return false;
    } catch (err) {
      const code = (err as { code?: string }).code;
      return code === 'ERR_HTTP2_HEADER_SINGLE_VALUE' ? true : undefined; // refused for another reason: says nothing
    }
  };
  const differ = known.filter((name) => {
    const node = sentOnce(name);
    return node !== undefined && node !== H2_SINGLE.has(name);
  });
  assert.deepEqual(differ, [], 'H2_SINGLE and node disagree on these');
});
