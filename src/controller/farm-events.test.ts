// Farm events read from the store (a real SQLite store, the controller harness): how an
// engine's end is told apart (the record's last value, not what is left after it), and a
// VS's health turning, one event per turn, for the VS's customer to see.

import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { silentLogger } from '../lib/log.ts';
import { waitFor } from '../lib/wait.ts';
import { keys, type Assignment, type EngineRecord, type FarmEvent, type VsStatus } from '../model/index.ts';
import { createEventLog, type EventLog } from './event-log.ts';
import { watchFarmEvents } from './farm-events.ts';
import { startController, type Harness } from './test-harness.ts';

const engine = (id: string, over: Partial<EngineRecord> = {}): string =>
  JSON.stringify({ id, runtime: 'process', capacity: { cpus: 1, memoryMb: 1, maxVirtualServers: 1 }, startedAt: '', ...over } satisfies EngineRecord);
const status = (engineId: string, vs: string, over: Partial<VsStatus> = {}): string =>
  JSON.stringify({ vs, engine: engineId, site: 'blog', release: 'r1', state: 'ready', restarts: 0, updatedAt: '', ...over } satisfies VsStatus);

async function watched(t: TestContext): Promise<{ h: Harness; log: EventLog; farm: (n: number) => Promise<FarmEvent[]> }> {
  const h = await startController(t);
  const log = createEventLog(h.store);
  const w = await watchFarmEvents(h.store, log, silentLogger);
  t.after(() => w.close());
  /** The first n farm events, oldest first. */
  const farm = (n: number) => waitFor(async () => {
    const e = await log.list({}, { type: 'farm' });
    return e.length >= n ? e.reverse() : undefined;
  }, { timeoutMs: 5000, what: `${n} farm events` });
  return { h, log, farm };
}

test('an engine record gone with its lease is engine.lost, though its VS statuses went with it; one that said it was stopping is engine.stopped', async (t) => {
  const { h, farm } = await watched(t);
  // e1 crashes: the lease expires (revoked here: the store deletes alike), statuses and record in one revision
  const lost = await h.store.grantLease(30);
  await h.store.put(keys.engine('e1'), engine('e1'), { lease: lost });
  await h.store.put(keys.vsStatus('e1', 'vs-1'), status('e1', 'vs-1'), { lease: lost });
  await h.store.put(keys.vsStatus('e1', 'vs-2'), status('e1', 'vs-2'), { lease: lost });
  // e2 stops gracefully: the marker, its statuses deleted, then the lease revoked
  const stopped = await h.store.grantLease(30);
  await h.store.put(keys.engine('e2'), engine('e2'), { lease: stopped });
  await h.store.put(keys.vsStatus('e2', 'vs-3'), status('e2', 'vs-3'), { lease: stopped });
  await h.store.revokeLease(lost);
  await h.store.put(keys.engine('e2'), engine('e2', { stoppingAt: new Date().toISOString() }), { lease: stopped });
  await h.store.revokeLease(stopped);

  const events = await farm(4);
  assert.deepEqual(events.map((e) => `${e.action} ${e.engine ?? '-'} ${e.result ?? '-'}`), [
    'engine.joined e1 -', 'engine.joined e2 -', 'engine.lost e1 error', 'engine.stopped e2 -',
  ]);
  assert.match(events[2]!.message!, /^engine e1 lost: its lease expired without a graceful stop \(crashed, killed or cut off\) with 2 virtual servers$/);
  assert.equal(events[3]!.message, 'engine e2 stopped');
});

test('a VS turning unhealthy, and healthy again, is one farm event each, about its site, for its customer', async (t) => {
  const { h, farm } = await watched(t);
  const acme = await h.customer('acme');
  const a = { vs: 'blog-1', engine: 'e1', site: 'blog', customer: 'acme', kind: 'app', release: 'r1', sha256: 'x', healthPath: '/', env: {}, domains: [], createdAt: '' } satisfies Assignment;
  await h.store.put(keys.assignment('e1', 'blog-1'), JSON.stringify(a));
  const put = (over: Partial<VsStatus>) => h.store.put(keys.vsStatus('e1', 'blog-1'), status('e1', 'blog-1', over));
  await put({ state: 'starting' });
  await put({ state: 'ready' });
  await put({ state: 'unhealthy', updatedAt: '1' });
  await put({ state: 'unhealthy', updatedAt: '2' }); // written again (a usage sample, a new lease): no new event
  await put({ state: 'ready', updatedAt: '3' });
  await put({ state: 'ready', updatedAt: '4' });
  await put({ state: 'crashed', restarts: 1, lastExit: { code: 1, signal: null, at: 't1' } }); // the last: all before it were seen

  const events = await farm(3);
  assert.deepEqual(events.map((e) => `${e.action} ${e.result ?? '-'}`), ['vs.unhealthy error', 'vs.recovered ok', 'vs.crashed -']);
  const [unhealthy, recovered] = events;
  assert.deepEqual({ site: unhealthy!.site, customer: unhealthy!.customer, engine: unhealthy!.engine, vs: unhealthy!.vs, target: unhealthy!.target }, { site: 'blog', customer: 'acme', engine: 'e1', vs: 'blog-1', target: 'vs/blog-1' });
  assert.equal(unhealthy!.message, 'blog-1 is failing its health checks');
  assert.equal(recovered!.message, 'blog-1 passes its health checks again');

  const res = await acme.get('/v1/events?type=farm');
  assert.equal(res.status, 200, res.body);
  assert.deepEqual((res.json.events as FarmEvent[]).map((e) => e.action).reverse(), ['vs.unhealthy', 'vs.recovered', 'vs.crashed'], 'the customer sees its own');
});

test("a VS its engine stopped for its start deadline says so, not that it exited with SIGTERM", async (t) => {
  const { h, farm } = await watched(t);
  await h.store.put(keys.vsStatus('e1', 'sick-1'), status('e1', 'sick-1', { state: 'crashed', restarts: 1, lastExit: { code: null, signal: 'SIGTERM', at: 't1', startupTimeoutMs: 30_000 } }));
  await h.store.put(keys.vsStatus('e1', 'sick-1'), status('e1', 'sick-1', { state: 'crashed', restarts: 2, lastExit: { code: null, signal: 'SIGKILL', at: 't2' } }));
  const events = await farm(2);
  assert.equal(events[0]!.message, 'sick-1 was stopped by its engine: not healthy within its 30 s start deadline (its health path never answered 2xx–3xx; restart 1)');
  assert.equal(events[1]!.message, 'sick-1 exited with signal SIGKILL (restart 2)');
});
