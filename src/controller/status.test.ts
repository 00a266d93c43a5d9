import assert from 'node:assert/strict';
import { test } from 'node:test';
import { keys, type Assignment, type EngineRecord, type Route, type VsStatus } from '../model/index.ts';
import type { Store } from '../store/types.ts';
import { makeTarball, staticSite, startController } from './test-harness.ts';

const now = new Date().toISOString();

async function assign(store: Store, vs: string, site: string, customer: string, release: string): Promise<void> {
  const a: Assignment = { vs, engine: 'e1', site, customer, kind: 'static', release, sha256: 'f'.repeat(64), healthPath: '/', env: { SECRET: 's' }, domains: [], createdAt: now };
  await store.put(keys.assignment('e1', vs), JSON.stringify(a));
}

async function observe(store: Store, vs: string, site: string, release: string, state: VsStatus['state']): Promise<void> {
  const s: VsStatus = { vs, engine: 'e1', site, release, state, address: '127.77.0.2', port: 8080, restarts: 0, updatedAt: now };
  await store.put(keys.vsStatus('e1', vs), JSON.stringify(s));
}

test("a site's status says which servers run what it says now, and when that is all the router serves (a new environment keeps the release)", async (t) => {
  const h = await startController(t);
  const acme = await h.customer('acme');
  await acme.post('/v1/sites', staticSite('blog', { pooled: false }));
  await acme.upload('/v1/sites/blog/releases', await makeTarball(t, { 'index.html': 'x' }));
  const site = (await acme.get('/v1/sites/blog')).json.site as { healthPath: string; env: Record<string, string> };
  const server = async (vs: string, env: Record<string, string>) => {
    const a: Assignment = { vs, engine: 'e1', site: 'blog', customer: 'acme', kind: 'static', release: 'v1', sha256: 'f'.repeat(64), healthPath: site.healthPath, env, domains: [], createdAt: now };
    await h.store.put(keys.assignment('e1', vs), JSON.stringify(a));
    await observe(h.store, vs, 'blog', 'v1', 'ready');
  };
  const routeTo = (vs: string) => h.store.put(keys.route('blog'), JSON.stringify({ site: 'blog', domains: ['blog.example.com'], endpoints: [{ vs, address: '127.77.0.2', port: 8080, release: 'v1' }], updatedAt: now } satisfies Route));
  const status = async () => {
    const res = await acme.get('/v1/sites/blog/status');
    assert.equal(res.status, 200, res.body);
    return { current: (res.json.virtualServers as { vs: string; current?: true }[]).filter((v) => v.current).map((v) => v.vs), ofRelease: res.json.ready, rollout: res.json.rollout };
  };
  await server('blog-a', site.env);
  await routeTo('blog-a');
  assert.deepEqual(await status(), { current: ['blog-a'], ofRelease: 1, rollout: { ready: 1, done: true } });
  assert.equal((await acme.patch('/v1/sites/blog', { env: { ...site.env, A: '1' } })).status, 200);
  // `ready` counts servers of the release; the rollout, those started as the site says now
  assert.deepEqual(await status(), { current: [], ofRelease: 1, rollout: { ready: 0, done: false } });
  await server('blog-b', { ...site.env, A: '1' });
  assert.deepEqual(await status(), { current: ['blog-b'], ofRelease: 2, rollout: { ready: 1, done: false } }, 'ready, the route not switched yet');
  await routeTo('blog-b');
  assert.deepEqual(await status(), { current: ['blog-b'], ofRelease: 2, rollout: { ready: 1, done: true } });
});

test("a site's status merges assignments and statuses and counts ready replicas of its release", async (t) => {
  const h = await startController(t);
  const acme = await h.customer('acme');
  const globex = await h.customer('globex');
  // pooled: false: VSs of their own (blog-a, blog-b, shop-a below), 2 replicas on one engine
  await acme.post('/v1/sites', staticSite('blog', { replicas: 2, pooled: false }));
  await globex.post('/v1/sites', staticSite('shop', { pooled: false }));
  await acme.upload('/v1/sites/blog/releases', await makeTarball(t, { 'index.html': 'x' }));
  const engine: EngineRecord = { id: 'e1', runtime: 'process', capacity: { cpus: 2, memoryMb: 1024, maxVirtualServers: 10 }, startedAt: now };
  await h.store.put(keys.engine('e1'), JSON.stringify(engine));
  await assign(h.store, 'blog-a', 'blog', 'acme', 'v1');
  await observe(h.store, 'blog-a', 'blog', 'v1', 'ready');
  await assign(h.store, 'blog-b', 'blog', 'acme', 'v1');
  await observe(h.store, 'blog-old', 'blog', 'v0', 'stopping');
  await assign(h.store, 'shop-a', 'shop', 'globex', 'v1');
  const route: Route = { site: 'blog', domains: ['blog.example.com'], endpoints: [{ vs: 'blog-a', address: '127.77.0.2', port: 8080, release: 'v1' }], updatedAt: now };
  await h.store.put(keys.route('blog'), JSON.stringify(route));

  const res = await acme.get('/v1/sites/blog/status');
  assert.equal(res.status, 200, res.body);
  assert.equal(res.json.release, 'v1');
  assert.equal(res.json.replicas, 2);
  assert.equal(res.json.ready, 1);
  assert.deepEqual(res.json.serving, ['v1']);
  assert.deepEqual(res.json.virtualServers.map((v: { vs: string; state?: string; assigned: boolean }) => [v.vs, v.state, v.assigned]), [
    ['blog-a', 'ready', true],
    ['blog-b', undefined, true],
    ['blog-old', 'stopping', false],
  ]);
  assert.ok(!res.body.includes('SECRET'), 'env is not part of the view');

  const vs = await acme.get('/v1/vs');
  assert.deepEqual(vs.json.virtualServers.map((v: { vs: string }) => v.vs), ['blog-a', 'blog-b', 'blog-old']);
  const farm = await acme.get('/v1/status');
  assert.deepEqual(farm.json.engines, [], 'customers do not see engines');
  assert.deepEqual(farm.json.sites.map((s: { name: string }) => s.name), ['blog']);

  const all = await h.admin.get('/v1/status');
  assert.deepEqual(all.json.engines.map((e: { id: string }) => e.id), ['e1']);
  assert.equal(all.json.virtualServers.length, 4);
  const engines = (await h.admin.get('/v1/engines')).json.engines;
  assert.deepEqual(engines.map(({ state: _s, use: _u, ...rest }: Record<string, unknown>) => rest), [engine]);
  assert.equal(engines[0].state, 'ready');
  assert.deepEqual((await globex.get('/v1/vs')).json.virtualServers.map((v: { vs: string }) => v.vs), ['shop-a']);
});
