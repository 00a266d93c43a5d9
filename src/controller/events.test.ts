import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitFor } from '../lib/wait.ts';
import { randomBytes } from 'node:crypto';
import { keys, type DatabaseRecord, type FarmEvent, type Site, type VsStatus } from '../model/index.ts';
import { databaseSecrets } from './database-secrets.ts';
import { silentLogger } from '../lib/log.ts';
import { createEventLog } from './event-log.ts';
import { watchFarmEvents } from './farm-events.ts';
import { makeTarball, staticSite, startController, type Client } from './test-harness.ts';
import { startReconciler } from './reconciler.ts';
import type { Store } from '../store/types.ts';

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
  const log = createEventLog(h.store, { farm: 25 });
  for (let i = 0; i < 60; i++) await log.record({ type: 'farm', action: 'test', message: String(i) });
  const kept = (await h.store.range(keys.events)).kvs.length;
  assert.ok(kept <= 25 + 20, `kept ${kept}`);
  const newest = await log.list({}, { limit: 3 });
  assert.deepEqual(newest.map((e) => e.message), ['59', '58', '57']);
});

test('a customer flooding refused calls drops only its own older events: another customer\'s and the admin\'s stay, and it sees its own', async (t) => {
  const puts = countPuts();
  const h = await startController(t, { eventRetention: { farm: 40, perCustomer: 10, anonymous: 10 } }, puts.wrap);
  const alpha = await h.customer('alpha');
  const bravo = await h.customer('bravo');
  assert.equal((await alpha.post('/v1/sites', staticSite('blog'))).status, 201);
  assert.equal((await h.admin.post('/v1/sites/blog/scale', { replicas: 2 })).status, 200);
  // refused before the route's handler runs (the body fails validation), and anonymous calls too
  for (let i = 0; i < 80; i++) assert.equal((await bravo.post('/v1/drill/faults', {})).status, 400);
  for (let i = 0; i < 40; i++) assert.equal((await h.client('crl_wrong').post('/v1/drill/faults', {})).status, 401);
  await waitFor(() => puts.count((e) => e.principal === 'customer:bravo:first') === 80 && puts.count((e) => e.principal === 'anonymous') === 40, { timeoutMs: 10_000, what: 'the flood recorded' });
  await waitFor(async () => (await h.store.range(keys.eventBucket({ customer: 'bravo' }))).kvs.length <= 10 + 20, { timeoutMs: 5000, what: "bravo's older events dropped" });

  const all = await eventsOf(h.admin, '?limit=2000');
  const brief = (e: Ev) => `${e.principal} ${e.action} ${e.target ?? '-'} ${e.status}`;
  for (const line of ['admin:admin customer.create customer/alpha 201', 'customer:alpha:first site.create site/blog 201', 'admin:admin site.scale site/blog 200']) {
    assert.ok(all.some((e) => brief(e) === line), `${line} kept`);
  }
  assert.deepEqual((await eventsOf(alpha)).map((e) => e.action).reverse(), ['customer.create', 'site.create', 'site.scale']);
  const own = await eventsOf(bravo, '?limit=2000');
  const refused = own.filter((e) => e.action === 'POST /v1/drill/faults');
  assert.ok(refused.length >= 10, `bravo sees its refused calls (${refused.length})`);
  assert.ok(refused.every((e) => e.customer === 'bravo' && e.principal === 'customer:bravo:first' && e.status === 400 && e.result === 'error'));
  assert.ok(own.some((e) => e.action === 'customer.create'), 'its creation by the admin is the farm\'s, not in the flooded share');
  assert.deepEqual([...all].sort((a, b) => (a.id < b.id ? 1 : -1)).map((e) => e.id), all.map((e) => e.id), 'newest first across shares');
});

test('a customer re-created under a deleted one\'s name sees none of the old one\'s events; the admin still sees them and the deletion', async (t) => {
  const h = await startController(t);
  const old = await h.customer('acme');
  assert.equal((await old.post('/v1/sites', staticSite('blog'))).status, 201);
  assert.equal((await old.post('/v1/customers/acme/tokens', { name: 'ci' })).status, 201);
  assert.equal((await old.post('/v1/drill/faults', {})).status, 400);
  assert.equal((await h.admin.delete('/v1/customers/acme?cascade=true')).status, 200);
  const deleted = await waitFor(async () => (await eventsOf(h.admin)).find((e) => e.action === 'customer.delete'), { timeoutMs: 5000, what: 'the deletion audited' });
  await waitFor(() => Date.now() > Date.parse(deleted.at), { timeoutMs: 1000, what: 'the clock past the deletion' }); // the new record is created after it

  const renewed = await h.customer('acme');
  assert.equal((await renewed.post('/v1/sites', staticSite('shop'))).status, 201);
  const mine = await waitFor(async () => { const e = await eventsOf(renewed, '?limit=2000'); return e.length >= 2 ? e : undefined; }, { timeoutMs: 5000, what: "the new acme's events" });
  assert.deepEqual(mine.map((e) => `${e.action} ${e.target ?? '-'}`).reverse(), ['customer.create customer/acme', 'site.create site/shop']);
  assert.deepEqual(await eventsOf(renewed, '?site=blog'), []);

  const all = (await eventsOf(h.admin, '?limit=2000')).map((e) => `${e.principal} ${e.action} ${e.target ?? '-'}`).reverse();
  assert.deepEqual(all, [
    'admin:admin customer.create customer/acme',
    'customer:acme:first site.create site/blog',
    'customer:acme:first token.create customer/acme',
    'customer:acme:first POST /v1/drill/faults -',
    'admin:admin customer.delete customer/acme',
    'admin:admin customer.create customer/acme',
    'customer:acme:first site.create site/shop',
  ]);
});

test('events an older Corral stored before buckets are still listed, and age out with the farm\'s share', async (t) => {
  const h = await startController(t);
  await h.customer('acme');
  const at = Date.now() + 1; // after acme's record
  const legacy = (n: number, over: Partial<Ev>): Ev => ({ id: `${String(at).padStart(15, '0')}-00000${String(n).padStart(6, '0')}`, at: new Date(at).toISOString(), type: 'audit', action: 'site.create', ...over });
  for (const e of [legacy(1, { customer: 'acme', principal: 'customer:acme:first' }), legacy(2, { principal: 'admin:admin' })]) await h.store.put(`${keys.events}${e.id}`, JSON.stringify(e));
  const log = createEventLog(h.store, { farm: 5 });
  const stored = new Set([legacy(1, {}).id, legacy(2, {}).id]);
  const olds = (events: Ev[]) => events.map((e) => e.id).filter((id) => stored.has(id));
  assert.deepEqual(olds(await log.list({ customer: 'acme' })), [legacy(1, {}).id]);
  assert.deepEqual(olds(await log.list({})), [legacy(2, {}).id, legacy(1, {}).id]);
  for (let i = 0; i < 25; i++) await log.record({ type: 'farm', action: 'test', message: String(i) });
  assert.equal((await h.store.range(keys.legacyEvents)).kvs.length, 0, 'older than the farm\'s newest 5');
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

test('the reconciler says once why a site bound to a database is not placed, and places it when an engine that reaches it joins', async (t) => {
  const h = await startController(t);
  const acme = await h.customer('acme');
  assert.equal((await acme.post('/v1/sites', staticSite('blog', { replicas: 2, pooled: false }))).status, 201);
  assert.equal((await acme.upload('/v1/sites/blog/releases', await makeTarball(t, { 'index.html': 'hi' }))).status, 201);
  const secrets = databaseSecrets(randomBytes(32));
  const db: DatabaseRecord = { name: 'orders', customer: 'acme', pgName: 'db_0123456789ab', logins: [{ user: 'db_0123456789ab_1', sealedPassword: secrets.seal('pw'), createdAt: '' }], connectionLimit: 10, quotaMb: 100, createdAt: '' };
  await h.store.put(keys.database('orders'), JSON.stringify(db));
  const site = JSON.parse((await h.store.get(keys.site('blog')))!.value) as Site;
  await h.store.put(keys.site('blog'), JSON.stringify({ ...site, database: 'orders' }));
  const engine = (id: string, reaches: boolean) => JSON.stringify({ id, runtime: 'process', capacity: { cpus: 1, memoryMb: 512, maxVirtualServers: 8 }, startedAt: '', ...(reaches ? { reachesDatabase: true } : {}) });
  await h.store.put(keys.engine('e1'), engine('e1', false));
  const log = createEventLog(h.store);
  const rec = await startReconciler({ store: h.store, events: log, databaseSecrets: secrets, tickMs: 60_000 });
  t.after(() => rec.close());
  const unplaced = await waitFor(async () => (await log.list({}, { type: 'farm' })).find((e) => e.action === 'site.unplaced'), { timeoutMs: 5000, what: 'a site.unplaced event' });
  assert.deepEqual([unplaced.site, unplaced.customer, unplaced.result], ['blog', 'acme', 'error']);
  assert.match(unplaced.message!, /^2 server\(s\) of site blog not placed: no engine reaches the site's database/);
  assert.equal((await h.store.range(keys.assignments)).kvs.length, 0);
  assert.ok((await eventsOf(acme, '?site=blog')).some((e) => e.action === 'site.unplaced'), 'the customer sees it');

  await rec.runOnce();
  await h.store.put(keys.engine('e2'), engine('e2', true));
  await waitFor(async () => (await h.store.range(keys.engineAssignments('e2'))).kvs.length === 2, { timeoutMs: 5000, what: 'both servers placed on e2' });
  assert.equal((await h.store.range(keys.engineAssignments('e1'))).kvs.length, 0);
  assert.equal((await log.list({}, { type: 'farm' })).filter((e) => e.action === 'site.unplaced').length, 1, 'said once');
});

/** A store wrapper counting the events written (pruned since or not) that match. */
function countPuts(): { wrap: (s: Store) => Store; count: (match: (e: Ev) => boolean) => number } {
  const written: Ev[] = [];
  const wrap = (store: Store): Store => new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'put') return (...args: Parameters<Store['put']>) => (args[0].startsWith(keys.events) && written.push(JSON.parse(args[1]) as Ev), target.put(...args));
      const v: unknown = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  return { wrap, count: (match) => written.filter(match).length };
}
