import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitFor } from '../lib/wait.ts';
import { keys, type FarmEvent, type VsStatus } from '../model/index.ts';
import { silentLogger } from '../lib/log.ts';
import { createEventLog } from './event-log.ts';
import { watchFarmEvents } from './farm-events.ts';
import { makeTarball, staticSite, startController, type Client } from './test-harness.ts';
import { startReconciler } from './reconciler.ts';

type Ev = FarmEvent;
const eventsOf = async (c: Client, query = ''): Promise<Ev[]> => {
  const res = await c.get(`/v1/events${query}`);
  assert.equal(res.status, 200, res.body);
  return res.json.events as Ev[];
};

test('state-changing calls are audited: who, what, target, result; each customer sees only its own', async (t) => {
  const h = await startController(t);
  const acme = await h.customer('acme');
  const globex = await h.customer('globex');
  assert.equal((await acme.post('/v1/sites', staticSite('blog'))).status, 201);
  assert.equal((await acme.post('/v1/sites/blog/scale', { replicas: 2 })).status, 200);
  assert.equal((await globex.post('/v1/sites', staticSite('shop'))).status, 201);
  assert.equal((await globex.post('/v1/sites/blog/scale', { replicas: 9 })).status, 404, 'another customer\'s site');
  assert.equal((await h.admin.post('/v1/sites/shop/scale', { replicas: 3 })).status, 200);
  assert.equal((await h.client('crl_wrong').delete('/v1/sites/shop')).status, 401);
  assert.equal((await acme.get('/v1/sites')).status, 200, 'reads are not audited');

  const all = await waitFor(async () => { const e = await eventsOf(h.admin); return e.length >= 8 ? e : undefined; }, { timeoutMs: 5000, what: 'audit events' });
  const brief = all.map((e) => `${e.principal} ${e.action} ${e.target ?? '-'} ${e.result} ${e.status}`);
  assert.deepEqual(brief.reverse(), [
    'admin:admin customer.create customer/acme ok 201',
    'admin:admin customer.create customer/globex ok 201',
    'customer:acme:first site.create site/blog ok 201',
    'customer:acme:first site.scale site/blog ok 200',
    'customer:globex:first site.create site/shop ok 201',
    'customer:globex:first site.scale site/blog error 404',
    'admin:admin site.scale site/shop ok 200',
    'anonymous site.delete site/shop error 401',
  ]);
  assert.ok(all.every((e) => e.type === 'audit' && !Number.isNaN(Date.parse(e.at))));

  const mine = await eventsOf(acme);
  assert.deepEqual(mine.map((e) => e.action).reverse(), ['customer.create', 'site.create', 'site.scale']);
  const theirs = await eventsOf(globex);
  assert.ok(theirs.every((e) => e.customer === 'globex'), JSON.stringify(theirs));
  assert.ok(!theirs.some((e) => e.target === 'customer/acme'));
  assert.equal((await eventsOf(globex, '?site=blog')).length, 1, 'only its own failed attempt');
  assert.equal((await h.admin.get('/v1/events?type=bogus')).status, 400);
});

test('the event log keeps only the newest events', async (t) => {
  const h = await startController(t);
  const log = createEventLog(h.store, 25);
  for (let i = 0; i < 60; i++) await log.record({ type: 'farm', action: 'test', message: String(i) });
  const kept = (await h.store.range(keys.events)).kvs.length;
  assert.ok(kept <= 25 + 20, `kept ${kept}`);
  const newest = await log.list({}, { limit: 3 });
  assert.deepEqual(newest.map((e) => e.message), ['59', '58', '57']);
});

test('a VS crash, an OOM kill and a lost engine become farm events', async (t) => {
  const h = await startController(t);
  const log = createEventLog(h.store);
  const w = await watchFarmEvents(h.store, log, silentLogger);
  t.after(() => w.close());
  const lease = await h.store.grantLease(30);
  await h.store.put(keys.engine('e1'), JSON.stringify({ id: 'e1', runtime: 'process', capacity: { cpus: 1, memoryMb: 1, maxVirtualServers: 1 }, startedAt: '' }), { lease });
  const status = (over: Partial<VsStatus>): string => JSON.stringify({ vs: 'vs-1', engine: 'e1', site: 'blog', release: 'r1', state: 'ready', restarts: 0, updatedAt: '', ...over });
  await h.store.put(keys.vsStatus('e1', 'vs-1'), status({}), { lease: 0 });
  await h.store.put(keys.vsStatus('e1', 'vs-1'), status({ state: 'backoff', restarts: 1, lastExit: { code: 3, signal: null, at: 't1' } }));
  await h.store.put(keys.vsStatus('e1', 'vs-1'), status({ state: 'backoff', restarts: 1, lastExit: { code: 3, signal: null, at: 't1' } }));
  await h.store.put(keys.vsStatus('e1', 'vs-1'), status({ state: 'crashed', restarts: 2, lastExit: { code: null, signal: 'SIGKILL', at: 't2', oom: true } }));
  await h.store.delete(keys.engine('e1'));
  const events = await waitFor(async () => { const e = await log.list({}); return e.length >= 4 ? e : undefined; }, { timeoutMs: 5000, what: 'farm events' });
  assert.deepEqual(events.map((e) => e.action).reverse(), ['engine.joined', 'vs.crashed', 'vs.oom', 'engine.lost']);
  assert.match(events[2]!.message!, /code 3/);
});

test('the reconciler records a failover when it replaces the servers of a lost engine', async (t) => {
  const h = await startController(t);
  const acme = await h.customer('acme');
  // pooled: false: blog's own VS, named in the event (a pooled site's would be its pool's)
  assert.equal((await acme.post('/v1/sites', staticSite('blog', { replicas: 1, pooled: false }))).status, 201);
  assert.equal((await acme.upload('/v1/sites/blog/releases', await makeTarball(t, { 'index.html': 'hi' }))).status, 201);
  const engine = (id: string) => JSON.stringify({ id, runtime: 'process', capacity: { cpus: 1, memoryMb: 512, maxVirtualServers: 8 }, startedAt: '' });
  await h.store.put(keys.engine('e1'), engine('e1'));
  const log = createEventLog(h.store);
  const rec = await startReconciler({ store: h.store, events: log, engineLostGraceMs: 0, tickMs: 60_000 });
  t.after(() => rec.close());
  await waitFor(async () => (await h.store.range(keys.engineAssignments('e1'))).kvs.length === 1, { timeoutMs: 5000, what: 'a VS placed on e1' });
  await h.store.put(keys.engine('e2'), engine('e2'));
  await h.store.delete(keys.engine('e1'));
  const failover = await waitFor(async () => (await log.list({}, { type: 'farm' })).find((e) => e.action === 'failover'), { timeoutMs: 5000, what: 'a failover event' });
  assert.equal(failover.engine, 'e1');
  assert.match(failover.message!, /1 virtual servers of lost engine e1 replaced by blog-\S+@e2/);
});
