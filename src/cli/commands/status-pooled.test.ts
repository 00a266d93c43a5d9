// corral status for a pooled site asking for more replicas than there are engines: READY
// shows what it can have (one per engine), what it asked, and a note says why — for the
// admin and for the customer, who sees no engines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keys, type Assignment, type EngineRecord, type Route, type VsStatus } from '../../model/index.ts';
import { makeTarball } from '../../controller/test-harness.ts';
import { startCliHarness } from '../cli-testing.ts';

test('status: a pooled site capped by the engines reads 1/1 ✓ (2 asked), with a note; not capped: as before', async (t) => {
  const h = await startCliHarness(t);
  const acme = await h.customer('acme');
  const tarball = await makeTarball(t, { 'index.html': 'hi' });
  for (const [name, replicas] of [['wide', 2], ['one', 1]] as const) {
    assert.equal((await acme.post('/v1/sites', { name, domains: [`${name}.test`], kind: 'static', pooled: true, replicas })).status, 201);
    assert.equal((await acme.upload(`/v1/sites/${name}/releases`, tarball)).status, 201);
  }
  const engine: EngineRecord = { id: 'e1', runtime: 'process', capacity: { cpus: 2, memoryMb: 4096, maxVirtualServers: 50 }, startedAt: new Date().toISOString() };
  await h.store.put(keys.engine(engine.id), JSON.stringify(engine));
  const entries = ['one', 'wide'].map((site) => ({ site, release: 'v1', sha256: 'a'.repeat(64), domains: [`${site}.test`] }));
  const pool: Assignment = {
    vs: 'pool-acme-1', engine: 'e1', site: 'pool', customer: 'acme', kind: 'static', release: 'pool', sha256: '0'.repeat(64),
    healthPath: '/', env: {}, domains: [], createdAt: new Date().toISOString(), pool: { sites: entries },
  };
  const status: VsStatus = { vs: pool.vs, engine: 'e1', site: 'pool', release: 'pool', state: 'ready', address: '127.0.0.1', port: 8080, restarts: 0, updatedAt: new Date().toISOString(), sites: { one: 'v1', wide: 'v1' } };
  await h.store.put(keys.assignment('e1', pool.vs), JSON.stringify(pool));
  await h.store.put(keys.vsStatus('e1', pool.vs), JSON.stringify(status));
  for (const site of ['one', 'wide']) {
    const route: Route = { site, domains: [`${site}.test`], endpoints: [{ vs: pool.vs, address: '127.0.0.1', port: 8080, release: 'v1' }], updatedAt: new Date().toISOString() };
    await h.store.put(keys.route(site), JSON.stringify(route));
  }

  for (const token of [h.admin.token!, acme.token!]) {
    const r = await h.corral(['status'], token);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^wide\s+static\s+v1\s+1\/1 ✓ \(2 asked\)\s/m);
    assert.match(r.out, /^one\s+static\s+v1\s+1\/1 ✓\s+-/m);
    assert.match(r.out, /^\(N asked\): a pooled site has at most one replica per engine; it gets more as engines join$/m);
    assert.ok(r.out.split('\n').every((l) => [...l].length <= 100), 'fits 100 columns');
  }
  const json = JSON.parse((await h.corral(['status', '--json'])).out) as { capped?: Record<string, number> };
  assert.deepEqual(json.capped, { wide: 1 });

  // a second engine: wide can have its 2, the note goes
  await h.store.put(keys.engine('e2'), JSON.stringify({ ...engine, id: 'e2' }));
  const two = await h.corral(['status']);
  assert.match(two.out, /^wide\s+static\s+v1\s+1\/2\s/m);
  assert.doesNotMatch(two.out, /asked/);
  // a drained engine takes no work: capped again
  await h.store.put(keys.engineDrain('e2'), JSON.stringify({ at: new Date().toISOString() }));
  assert.match((await h.corral(['status'])).out, /1\/1 ✓ \(2 asked\)/);
});
