import assert from 'node:assert/strict';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { test, type TestContext } from 'node:test';
import { apiClient } from './api-client.ts';
import { startCliHarness } from './cli-testing.ts';
import { CliError } from './errors.ts';

/** A loopback port nothing listens on: bound, then closed. */
async function deadUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((done) => s.listen(0, '127.0.0.1', done));
  const { port } = s.address() as AddressInfo;
  await new Promise((done) => s.close(done));
  return `http://127.0.0.1:${port}`;
}

async function listening(t: TestContext, server: Server): Promise<string> {
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  t.after(() => new Promise((done) => server.close(done)));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Accepts, waits for the request to arrive, then resets the connection. */
async function resettingUrl(t: TestContext): Promise<{ url: string; seen: () => number }> {
  let seen = 0;
  const server = createServer((socket) => socket.once('data', () => {
    seen++;
    socket.resetAndDestroy();
  }));
  return { url: await listening(t, server), seen: () => seen };
}

interface JoinTokens { joinTokens: unknown[] }

test('a call goes to the next controller when the first refuses connections', async (t) => {
  const h = await startCliHarness(t);
  const api = apiClient({ api: `${await deadUrl()},${h.url}`, token: h.admin.token! });
  assert.deepEqual((await api.get<JoinTokens>('/v1/join-tokens')).joinTokens, []);
  // a POST whose connection was never made is safe to send elsewhere
  await api.post('/v1/join-tokens', { name: 'via-second' });
  assert.equal((await api.get<JoinTokens>('/v1/join-tokens')).joinTokens.length, 1);
  // and through the CLI itself, with --api listing both
  const r = await h.corral(['--api', `${await deadUrl()},${h.url}`, 'join-token', 'list']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /via-second/);
});

test('a POST is not repeated on another controller once the request was sent; a GET is', async (t) => {
  const h = await startCliHarness(t);
  const reset = await resettingUrl(t);
  const api = apiClient({ api: `${reset.url},${h.url}`, token: h.admin.token! });
  await assert.rejects(api.post('/v1/join-tokens', { name: 'maybe-applied' }), (err: Error) => {
    assert.ok(err instanceof CliError);
    assert.match(err.message, new RegExp(`${reset.url}.*broke after the POST request was sent.*not repeated`));
    return true;
  });
  assert.equal(reset.seen(), 1);
  const direct = apiClient({ api: h.url, token: h.admin.token! });
  assert.deepEqual((await direct.get<JoinTokens>('/v1/join-tokens')).joinTokens, [], 'the second controller never got the POST');
  assert.deepEqual((await api.get<JoinTokens>('/v1/join-tokens')).joinTokens, []);
  assert.equal(reset.seen(), 2);
});

test('a 503 sends idempotent calls on to the next controller, never a POST', async (t) => {
  const h = await startCliHarness(t);
  const busy = createHttpServer((_req, res) => {
    res.writeHead(503, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { code: 'unavailable', message: 'store unreachable' } }));
  });
  const busyUrl = await listening(t, busy as unknown as Server);
  const api = apiClient({ api: `${busyUrl},${h.url}`, token: h.admin.token! });
  assert.deepEqual((await api.get<JoinTokens>('/v1/join-tokens')).joinTokens, []);
  await assert.rejects(api.post('/v1/join-tokens', { name: 'x' }), /store unreachable/);
  // every controller answering 503: the last answer is the error
  await assert.rejects(apiClient({ api: `${busyUrl},${busyUrl}/`, token: 't' }).get('/v1/sites'), /store unreachable/);
});

test('when every controller is down the error names each URL tried', async () => {
  const [a, b] = [await deadUrl(), await deadUrl()];
  const api = apiClient({ api: `${a}, ${b}`, token: 'crl_x' });
  for (const call of [() => api.get('/v1/sites'), () => api.post('/v1/join-tokens', { name: 'x' })]) {
    await assert.rejects(call(), (err: Error) => {
      assert.ok(err instanceof CliError);
      assert.ok(err.message.includes(`${a} (ECONNREFUSED)`) && err.message.includes(`${b} (ECONNREFUSED)`), err.message);
      return true;
    });
  }
  assert.throws(() => apiClient({ api: `${a},ftp://x`, token: 't' }), /ftp:\/\/x is not an http\(s\) URL/);
});

test("an answer that is not the API's error shape (the router's port given as --api) is one line that says so", async (t) => {
  const server = createHttpServer((_req, res) => {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('No site is configured for host 127.0.0.1:8080\nerror id 1a2b3c4d\n');
  });
  const url = await listening(t, server as unknown as Server);
  const api = apiClient({ api: url, token: 'crl_x' });
  await assert.rejects(api.get('/v1/sites'), (err: Error) => {
    assert.equal(err.message.includes('\n'), false, 'one line');
    assert.match(err.message, /^HTTP 404 from something that is not a Corral API \("No site is configured for host 127\.0\.0\.1:8080"\): is --api \/ CORRAL_API the controller's address/);
    return true;
  });
});
