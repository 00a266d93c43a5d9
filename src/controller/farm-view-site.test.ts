import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { keys, type Assignment, type Route, type Site, type VsStatus } from '../model/index.ts';
import { openSqliteStore } from '../store/sqlite-store.ts';
import { farmView, siteGroups, siteView, siteViews } from './farm-view.ts';

const now = new Date().toISOString();

test("a site's views read alone are the farm view's: its own servers and its customer's pools, nothing of another customer or an earlier site of the name", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'corral-site-view-'));
  const store = await openSqliteStore(join(dir, 'store.db'));
  t.after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });
  const www: Site = { id: 'id-www', name: 'www', customer: 'acme', domains: ['www.test'], kind: 'static', replicas: 1, healthPath: '/', env: {}, release: 'r2', createdAt: now, updatedAt: now };
  await store.put(keys.site('www'), JSON.stringify(www));
  const put = async (vs: string, opts: { customer?: string; siteId?: string; release?: string; pool?: string[]; state?: VsStatus['state'] }) => {
    const site = opts.pool ? `pool-${vs}` : 'www';
    const release = opts.release ?? 'r2';
    if (opts.customer) {
      const a: Assignment = { vs, engine: 'e1', site, customer: opts.customer, kind: 'static', release, sha256: 'f'.repeat(64), healthPath: '/', env: {}, domains: [], createdAt: now, ...(opts.siteId ? { siteId: opts.siteId } : {}), ...(opts.pool ? { pool: { sites: opts.pool.map((s) => ({ site: s, release: 'r2', sha256: 'f'.repeat(64), domains: [] })) } } : {}) };
      await store.put(keys.assignment('e1', vs), JSON.stringify(a));
    }
    const s: VsStatus = { vs, engine: 'e1', site, release, state: opts.state ?? 'ready', address: '127.0.0.1', port: 9, restarts: 0, updatedAt: now, ...(opts.siteId ? { siteId: opts.siteId } : {}), ...(opts.pool ? { sites: Object.fromEntries(opts.pool.map((p) => [p, 'r2'])) } : {}) };
    await store.put(keys.vsStatus('e1', vs), JSON.stringify(s));
  };
  await put('www-a', { customer: 'acme', siteId: 'id-www' });
  await put('www-b', { customer: 'acme', siteId: 'id-www', release: 'r1' }); // out of the route: draining
  await put('www-theirs', { customer: 'globex' }); // another customer's server of the same name
  await put('www-earlier', { siteId: 'id-earlier', state: 'stopping' }); // a status left by an earlier site of the name
  await put('www-left', { siteId: 'id-www', state: 'stopping' }); // a status of this site, unassigned
  await put('acme-pool', { customer: 'acme', pool: ['blog', 'www'] });
  await put('globex-pool', { customer: 'globex', pool: ['www'] });
  const route: Route = { site: 'www', domains: ['www.test'], endpoints: [{ vs: 'www-a', address: '127.0.0.1', port: 9, release: 'r2' }], updatedAt: now };
  await store.put(keys.route('www'), JSON.stringify(route));

  const { virtualServers: alone, assignments } = await siteView(store, www);
  assert.deepEqual(alone.map((v) => v.vs).sort(), ['acme-pool', 'www-a', 'www-b', 'www-left']);
  assert.equal(alone.find((v) => v.vs === 'www-b')?.draining, true);
  for (const scope of [{}, { customer: 'acme' }]) {
    const farm = await farmView(store, scope);
    assert.deepEqual(alone, siteViews(farm, www), JSON.stringify(scope));
    assert.deepEqual(siteGroups(farm).get('www'), alone, `every site's at once: ${JSON.stringify(scope)}`);
  }
  assert.deepEqual([...assignments.keys()].sort(), ['acme-pool', 'www-a', 'www-b'], 'the assignments of the VSs shown');
});
