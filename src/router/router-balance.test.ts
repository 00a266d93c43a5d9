import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from '../lib/wait.ts';
import type { Balance } from '../model/index.ts';
import { route, startBackend, startRouter } from './testing.ts';

test('a sticky site sets its cookie through the router and keeps a client on one backend', async (t) => {
  const backends = await Promise.all(['a', 'b', 'c'].map((n) => startBackend(t, n, (req, res) => {
    req.resume();
    res.setHeader('set-cookie', 'app=1');
    res.end(n);
  })));
  const sticky: Balance = { policy: 'sticky' };
  const r = await startRouter(t, [{ ...route('s', ['s.test'], backends), balance: sticky }]);
  const first = await r.send({ host: 's.test' });
  const cookies = first.headers['set-cookie']!;
  assert.equal(cookies.length, 2, 'the backend cookie and the router cookie');
  const mine = cookies.find((c) => c.startsWith('corral_sticky='))!.split(';')[0]!;
  for (let i = 0; i < 6; i++) {
    const method = i % 2 ? 'POST' : 'GET'; // both upstream paths: raw and undici
    const reply = await r.send({ host: 's.test', method, body: method === 'POST' ? 'x' : undefined, headers: { cookie: mine } });
    assert.equal(reply.body, first.body);
    assert.deepEqual(reply.headers['set-cookie'], ['app=1']);
  }
  const post = await r.send({ host: 's.test', method: 'POST', body: 'x' });
  assert.equal(post.headers['set-cookie']?.length, 2, 'a POST without the cookie gets one too');
});

test('least-conn sends new requests away from a backend holding slow ones', async (t) => {
  const held: Array<() => void> = [];
  const slow = await startBackend(t, 'slow', (_req, res) => void held.push(() => res.end('slow')));
  const fast = await startBackend(t, 'fast');
  const r = await startRouter(t, [{ ...route('s', ['s.test'], [slow, fast]), balance: { policy: 'least-conn' } }]);
  const pending = [r.send({ host: 's.test' }), r.send({ host: 's.test' })];
  // one of the two went to slow and is held there; every next request goes to fast
  await waitFor(() => held.length >= 1, { what: 'a request held by the slow backend' });
  for (let i = 0; i < 5; i++) assert.equal((await r.send({ host: 's.test' })).body, 'fast');
  for (const release of held) release();
  await Promise.all(pending);
});
