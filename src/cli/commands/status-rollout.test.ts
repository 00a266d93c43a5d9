// corral status during a change of a site's environment: the release stays, so its servers
// say nothing. READY counts the servers the router serves and names the rollout under way —
// stuck while the new servers crash —; the new servers are not draining.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keys, type Assignment, type Route, type Site, type VsStatus } from '../../model/index.ts';
import { makeTarball } from '../../controller/test-harness.ts';
import { startCliHarness } from '../cli-testing.ts';

test('status: an env change whose new servers crash-loop reads 2/2 rollout stuck 0/2, not 2/2 ✓; once they serve, ✓ and the old ones drain', async (t) => {
  const h = await startCliHarness(t);
  const acme = await h.customer('acme');
  assert.equal((await acme.post('/v1/sites', { name: 'shop', domains: ['shop.test'], kind: 'app', command: 'node server.js', replicas: 2 })).status, 201);
  assert.equal((await acme.upload('/v1/sites/shop/releases', await makeTarball(t, { 'server.js': '' }))).status, 201);
  const before = (await acme.get('/v1/sites/shop')).json.site as Site;
  assert.equal((await acme.patch('/v1/sites/shop', { env: { A: '2' } })).status, 200);
  const now = new Date().toISOString();
  const server = async (vs: string, env: Record<string, string>, state: VsStatus['state'], restarts = 0) => {
    const a: Assignment = {
      vs, engine: 'e1', site: 'shop', ...(before.id ? { siteId: before.id } : {}), customer: 'acme', kind: 'app', release: 'v1', sha256: '0'.repeat(64),
      ...(before.command ? { command: before.command } : {}), healthPath: before.healthPath, env, domains: [], createdAt: now,
    };
    await h.store.put(keys.assignment('e1', vs), JSON.stringify(a));
    const s: VsStatus = { vs, engine: 'e1', site: 'shop', release: 'v1', state, address: '127.0.0.1', port: 9000, restarts, updatedAt: now };
    await h.store.put(keys.vsStatus('e1', vs), JSON.stringify(s));
  };
  const route = async (...vss: string[]) => {
    const r: Route = { site: 'shop', domains: ['shop.test'], endpoints: vss.map((vs) => ({ vs, address: '127.0.0.1', port: 9000, release: 'v1' })), updatedAt: now };
    await h.store.put(keys.route('shop'), JSON.stringify(r));
  };
  await server('shop-1', before.env, 'ready');
  await server('shop-2', before.env, 'ready');
  await server('shop-3', { A: '2' }, 'backoff', 3);
  await server('shop-4', { A: '2' }, 'crashed', 2);
  await route('shop-1', 'shop-2');

  const stuck = await h.corral(['status'], acme.token!);
  assert.equal(stuck.code, 0, stuck.err);
  assert.match(stuck.out, /^shop\s+app\s+v1\s+2\/2 rollout stuck 0\/2\s+1 backoff, 1 crashed\s/m);
  assert.match(stuck.out, /^rolling out k\/n: /m);
  const json = JSON.parse((await h.corral(['status', '--json'])).out) as { rollouts?: Record<string, unknown> };
  assert.deepEqual(json.rollouts?.shop, { serving: 2, replicas: 2, rollout: { ready: 0, stuck: true } });

  // one new server ready, waiting for the switch: not draining
  await server('shop-3', { A: '2' }, 'ready', 3);
  await server('shop-4', { A: '2' }, 'starting', 0);
  const going = await h.corral(['status'], acme.token!);
  assert.match(going.out, /^shop\s+app\s+v1\s+2\/2 rolling out 1\/2\s+1 starting\s/m);
  assert.doesNotMatch(going.out, /draining/);

  await server('shop-4', { A: '2' }, 'ready', 0);
  await route('shop-3', 'shop-4');
  const done = await h.corral(['status'], acme.token!);
  assert.match(done.out, /^shop\s+app\s+v1\s+2\/2 ✓\s+2 draining\s/m);
  assert.doesNotMatch(done.out, /rolling out k\/n/);
});
