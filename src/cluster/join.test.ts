// Joining a farm against stand-in controllers on loopback: a good answer, a refusal that
// ends the ask, and every way a controller can fail to answer (refused connection, 5xx,
// silence past the deadline, a connection dropped mid-answer, a redirect, an answer that
// is not JSON, not a join answer, or endless),
// each passing the ask to the next controller and named in the final error.

import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { it, type TestContext } from 'node:test';
import { joinFarm, type JoinAnswer } from './join.ts';

const ANSWER: JoinAnswer = { store: { kind: 'etcd', endpoints: ['http://127.0.0.1:2379'] }, token: 'engine-token', controllers: ['http://127.0.0.1:8080'] };

/** A stand-in controller: handle gets the request and its parsed JSON body. */
async function controller(t: TestContext, handle: (req: IncomingMessage, res: ServerResponse, body: unknown) => void): Promise<string> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, res, JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null')));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A port nothing listens on (a server opened and closed). */
async function closedPort(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}

it('sends the token, role and id to /v1/join and returns the answer', async (t) => {
  const asked: unknown[] = [];
  const url = await controller(t, (req, res, body) => {
    asked.push([req.method, req.url, req.headers['content-type'], body]);
    res.end(JSON.stringify(ANSWER));
  });
  assert.deepEqual(await joinFarm(`${url}/`, 'join-secret', 'router', 'r1'), ANSWER);
  assert.deepEqual(asked, [['POST', '/v1/join', 'application/json', { token: 'join-secret', role: 'router', id: 'r1' }]]);
});

it('a refusal (401, 400) ends the ask with CLUSTER_JOIN_REFUSED and the controller’s reason; the next controller is not asked', async (t) => {
  let nextAsked = false;
  const next = await controller(t, (_req, res) => {
    nextAsked = true;
    res.end(JSON.stringify(ANSWER));
  });
  for (const status of [401, 400]) {
    const url = await controller(t, (_req, res) => res.writeHead(status).end(JSON.stringify({ error: { code: 'UNAUTHORIZED', message: 'unknown join token' } })));
    await assert.rejects(joinFarm(`${url},${next}`, 'wrong', 'engine', 'e1'), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'CLUSTER_JOIN_REFUSED');
      assert.match(err.message, /refused to join: unknown join token/);
      return true;
    });
  }
  assert.equal(nextAsked, false);
});

it('a controller that is down, failing, silent or answering nonsense passes the ask to the next', async (t) => {
  const good = await controller(t, (_req, res) => res.end(JSON.stringify(ANSWER)));
  const bad: Record<string, string> = {
    'refused connection': await closedPort(),
    '5xx': await controller(t, (_req, res) => res.writeHead(503).end(JSON.stringify({ error: { message: 'not the leader yet' } }))),
    silent: await controller(t, () => {}),
    'not JSON': await controller(t, (_req, res) => res.end('<html>login</html>')),
    'drops mid-answer': await controller(t, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      res.write('{"store": {"kind": "et');
      setImmediate(() => res.destroy());
    }),
    redirect: await controller(t, (_req, res) => res.writeHead(308, { location: 'https://elsewhere.test/v1/join' }).end()),
    'not URLs': await controller(t, (_req, res) => res.end(JSON.stringify({ ...ANSWER, controllers: ['http://[::1'] }))),
    'not a join answer': await controller(t, (_req, res) => res.end(JSON.stringify({ store: { kind: 'etcd', endpoints: [] }, token: 't', controllers: [] }))),
    endless: await controller(t, (_req, res) => {
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const more = () => {
        while (!res.destroyed && res.write(chunk));
        if (!res.destroyed) res.once('drain', more);
      };
      more();
    }),
  };
  for (const [what, url] of Object.entries(bad)) {
    assert.deepEqual(await joinFarm(`${url},${good}`, 's', 'engine', 'e1', { timeoutMs: 500 }), ANSWER, what);
  }
  // With no good controller left, the error names the last one's failure.
  await assert.rejects(joinFarm(`${bad['5xx']},${bad['not a join answer']}`, 's', 'engine', 'e1', { timeoutMs: 500 }), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'CLUSTER_JOIN_FAILED');
    assert.match(err.message, /could not join the farm \(http:\/\/127\.0\.0\.1:\d+: not a join answer \(store\.endpoints is not a list of URLs\)\); check the controller URL/);
    return true;
  });
  await assert.rejects(joinFarm(bad.silent!, 's', 'engine', 'e1', { timeoutMs: 300 }), /no answer within 300 ms/);
  await assert.rejects(joinFarm(bad['drops mid-answer']!, 's', 'engine', 'e1', { timeoutMs: 5000 }), /the connection closed before the answer ended/);
  await assert.rejects(joinFarm(bad.endless!, 's', 'engine', 'e1', { timeoutMs: 5000 }), /answer longer than 1048576 bytes/);
  await assert.rejects(joinFarm(' , ', 's', 'engine', 'e1'), /no controller URL given/);
});
