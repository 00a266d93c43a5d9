import assert from 'node:assert/strict';
import { test } from 'node:test';
import { keys, type EngineRecord } from '../model/index.ts';
import { readSnapshot } from './reconciler.ts';
import { startController } from './test-harness.ts';

const engine: EngineRecord = { id: 'e1', runtime: 'process', capacity: { cpus: 2, memoryMb: 1024, maxVirtualServers: 10 }, startedAt: '' };

test('engines: list with state and use; drain and undrain (admin only); the reconciler sees the drain', async (t) => {
  const h = await startController(t);
  const acme = await h.customer('acme');
  await h.store.put(keys.engine('e1'), JSON.stringify(engine));
  const listed = (await h.admin.get('/v1/engines')).json.engines;
  assert.deepEqual(listed, [{ ...engine, state: 'ready', use: { virtualServers: 0, ready: 0, memoryMb: 0 } }]);

  assert.equal((await acme.post('/v1/engines/e1/drain')).status, 403);
  assert.equal((await h.admin.post('/v1/engines/nope/drain')).status, 404);
  assert.equal((await h.admin.post('/v1/engines/BAD!/drain')).status, 400);
  const drained = await h.admin.post('/v1/engines/e1/drain');
  assert.equal(drained.status, 200);
  assert.equal(drained.json.engine.state, 'draining');
  assert.equal((await h.admin.get('/v1/engines')).json.engines[0].state, 'draining');
  // The engine re-registering (new lease) does not undo the drain.
  await h.store.put(keys.engine('e1'), JSON.stringify(engine));
  assert.equal((await readSnapshot(h.store)).engines[0]?.draining, true);

  assert.equal((await h.admin.delete('/v1/engines/e1/drain')).status, 204);
  assert.equal((await h.admin.get('/v1/engines')).json.engines[0].state, 'ready');
  assert.equal((await readSnapshot(h.store)).engines[0]?.draining, undefined);
});

test('join tokens: created, listed and revoked by an admin; joining needs a cluster and a valid token', async (t) => {
  const h = await startController(t);
  const acme = await h.customer('acme');
  assert.equal((await acme.post('/v1/join-tokens', {})).status, 403);
  const created = await h.admin.post('/v1/join-tokens', { name: 'rack-1' });
  assert.equal(created.status, 201);
  const { token, joinToken } = created.json;
  assert.match(token, /^crl_/);
  assert.equal(joinToken.name, 'rack-1');
  assert.deepEqual((await h.admin.get('/v1/join-tokens')).json.joinTokens, [joinToken]);
  assert.ok(!JSON.stringify((await h.admin.get('/v1/join-tokens')).json).includes(token), 'the token itself is never listed');

  const join = (tok: string) => h.client(undefined).post('/v1/join', { token: tok, role: 'engine', id: 'e9' });
  assert.equal((await join(token)).status, 501, 'a controller on a local store cannot be joined');
  assert.equal((await join('crl_nope')).status, 401);

  assert.equal((await h.admin.delete(`/v1/join-tokens/${joinToken.id}`)).status, 204);
  assert.equal((await h.admin.delete(`/v1/join-tokens/${joinToken.id}`)).status, 404);
  assert.equal((await join(token)).status, 401, 'a revoked token no longer joins');
});

test('join on a cluster controller hands out the store and an engine token that fetches blobs only', async (t) => {
  const cluster = { store: { kind: 'etcd' as const, endpoints: ['http://127.0.0.1:2379'] }, controllers: async () => ['http://127.0.0.1:7400'] };
  const h = await startController(t, { cluster });
  const { token } = (await h.admin.post('/v1/join-tokens', { ttlSeconds: 60 })).json;
  const res = await h.client(undefined).post('/v1/join', { token, role: 'engine', id: 'e9' });
  assert.equal(res.status, 200);
  assert.deepEqual(res.json.store, cluster.store);
  assert.deepEqual(res.json.controllers, ['http://127.0.0.1:7400']);
  const engineClient = h.client(res.json.token);
  assert.equal((await engineClient.get(`/v1/blobs/${'a'.repeat(64)}`)).status, 404);
  assert.equal((await engineClient.get('/v1/sites')).status, 403);
  assert.equal((await h.client(undefined).post('/v1/join', { token, role: 'engine', id: 'e9', extra: 1 })).status, 400);
});
