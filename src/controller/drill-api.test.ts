// POST /v1/drill/faults and GET /v1/routers: admin only; every fault aimed at something that
// exists, within bounds; the record lands where its engine or the leader watches, on a lease.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { keys, parseDrillFault, type EngineRecord, type VsStatus } from '../model/index.ts';
import { startController } from './test-harness.ts';

const engine: EngineRecord = { id: 'e1', runtime: 'process', capacity: { cpus: 2, memoryMb: 1024, maxVirtualServers: 10 }, startedAt: '' };
const status: VsStatus = { vs: 'www-abc123', engine: 'e1', site: 'www', release: 'v1', state: 'ready', restarts: 0, updatedAt: '' };

test('drill faults: admin only, bounded, aimed at a VS, an engine or the leader that exists', async (t) => {
  const h = await startController(t);
  const acme = await h.customer('acme');
  await h.store.put(keys.engine('e1'), JSON.stringify(engine));
  await h.store.put(keys.vsStatus('e1', status.vs), JSON.stringify(status));

  // who and what: a customer is refused; malformed bodies are 400s naming the field
  assert.equal((await acme.post('/v1/drill/faults', { fault: 'crash-engine', target: 'e1', durationMs: 1000 })).status, 403);
  assert.equal((await acme.get('/v1/routers')).status, 403);
  for (const body of [
    { fault: 'meteor', target: 'e1', durationMs: 1000 },
    { fault: 'crash-engine', target: 'e1', durationMs: 120_001 },
    { fault: 'crash-engine', target: 'e1', durationMs: -1 },
    { fault: 'crash-engine', target: '../e1', durationMs: 1000 },
    { fault: 'crash-engine', target: 'e1' },
    { fault: 'crash-engine', target: 'e1', durationMs: 1000, extra: true },
  ]) {
    const res = await h.admin.post('/v1/drill/faults', body);
    assert.equal(res.status, 400, JSON.stringify(body));
  }
  assert.equal((await h.admin.post('/v1/drill/faults', { fault: 'crash-engine', target: 'e9', durationMs: 1000 })).status, 404);
  assert.equal((await h.admin.post('/v1/drill/faults', { fault: 'kill-vs', target: 'www-zzz999', durationMs: 0 })).status, 404);
  // one machine: no election, no leader to kill
  const noLeader = await h.admin.post('/v1/drill/faults', { fault: 'kill-leader', durationMs: 1000 });
  assert.equal(noLeader.status, 409);
  assert.equal(noLeader.json.error.code, 'drill_target');

  // a fault lands under the engine's drill key, on a lease, as a record the engine accepts
  const crash = await h.admin.post('/v1/drill/faults', { fault: 'partition-engine', target: 'e1', durationMs: 5000 });
  assert.equal(crash.status, 202);
  const kv = await h.store.get(keys.drill('engine', 'e1'));
  assert.ok(kv && kv.lease > 0, 'put under a lease');
  assert.deepEqual({ ...parseDrillFault(kv.value), at: '' }, { id: crash.json.id, fault: 'partition', durationMs: 5000, at: '' });
  const killVs = await h.admin.post('/v1/drill/faults', { fault: 'kill-vs', target: status.vs, durationMs: 0 });
  assert.equal(killVs.status, 202);
  assert.equal(killVs.json.engine, 'e1');
  assert.equal(parseDrillFault((await h.store.get(keys.drill('engine', 'e1')))!.value)?.vs, status.vs);

  // the leader (a farm on etcd has one): the record goes to that controller; another target is a 409
  await h.store.put(keys.leader, JSON.stringify({ id: 'c1', since: new Date().toISOString() }));
  assert.equal((await h.admin.post('/v1/drill/faults', { fault: 'kill-leader', target: 'c2', durationMs: 1000 })).status, 409);
  const leader = await h.admin.post('/v1/drill/faults', { fault: 'kill-leader', durationMs: 7000 });
  assert.equal(leader.status, 202);
  assert.equal(leader.json.target, 'c1');
  assert.equal(parseDrillFault((await h.store.get(keys.drill('controller', 'c1')))!.value)?.fault, 'freeze');

  await h.store.put(keys.router('r1'), JSON.stringify({ id: 'r1', url: 'http://10.0.0.5:80', startedAt: '' }));
  assert.deepEqual((await h.admin.get('/v1/routers')).json.routers, [{ id: 'r1', url: 'http://10.0.0.5:80', startedAt: '' }]);
});

test('a drill record an engine reads is checked: only whole, bounded faults pass', () => {
  assert.equal(parseDrillFault('not json'), undefined);
  assert.equal(parseDrillFault('null'), undefined);
  assert.equal(parseDrillFault(JSON.stringify({ id: 'x', fault: 'crash', at: '', durationMs: 1e9 })), undefined);
  assert.equal(parseDrillFault(JSON.stringify({ id: 'x', fault: 'crash', at: '', durationMs: 1.5 })), undefined);
  assert.equal(parseDrillFault(JSON.stringify({ id: 'x', fault: 'crash', at: '', durationMs: 10, vs: 3 })), undefined);
  assert.deepEqual(parseDrillFault(JSON.stringify({ id: 'x', fault: 'crash', at: '', durationMs: 10 })), { id: 'x', fault: 'crash', at: '', durationMs: 10 });
});
