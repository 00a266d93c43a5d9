import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { keys, type FarmEvent, type Route } from '../model/index.ts';
import { openSqliteStore } from '../store/index.ts';
import { waitFor } from '../lib/wait.ts';
import { eventLine, watchFarmFeed } from './farm-feed.ts';

const event = (over: Partial<FarmEvent>): FarmEvent => ({ id: '1', at: '', type: 'audit', action: 'site.scale', ...over });

test('one line per change, farm trouble marked, refused calls left to the log', () => {
  assert.equal(eventLine(event({ target: 'site/shop', principal: 'admin:admin', result: 'ok', message: 'replicas 3' })), 'site.scale site/shop (replicas 3) by admin:admin');
  assert.equal(eventLine(event({ result: 'error', status: 404 })), undefined);
  assert.match(eventLine(event({ result: 'error', status: 500, target: 'site/shop' }))!, /^! site\.scale site\/shop failed with 500/);
  assert.equal(eventLine(event({ type: 'farm', action: 'vs.oom', message: 'shop-1 was killed for lack of memory (restart 1)' })), '! shop-1 was killed for lack of memory (restart 1)');
  assert.equal(eventLine(event({ type: 'farm', action: 'engine.joined', message: 'engine e1 joined (process runtime)' })), 'engine e1 joined (process runtime)');
  assert.equal(eventLine(event({ type: 'farm', action: 'engine.lost', message: 'engine e1 lost' })), '! engine e1 lost');
  assert.equal(eventLine(event({ type: 'farm', action: 'vs.unhealthy', message: 'shop-1 is failing its health checks' })), '! shop-1 is failing its health checks');
  assert.equal(eventLine(event({ type: 'farm', action: 'vs.recovered', message: 'shop-1 passes its health checks again' })), 'shop-1 passes its health checks again');
});

test('the feed follows events and what each site serves', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'corral-feed-'));
  const store = await openSqliteStore(join(dir, 'store.db'));
  t.after(async () => (await store.close(), await rm(dir, { recursive: true, force: true })));
  const said: string[] = [];
  const stop = await watchFarmFeed(store, (l) => said.push(l), () => new Date('2026-12-04T15:04:05Z'));
  t.after(stop);
  const route: Route = { site: 'shop', domains: ['shop.test'], endpoints: [{ vs: 'shop-1', address: '127.0.0.1', port: 1, release: 'r1' }], updatedAt: '' };
  await store.put(keys.route('shop'), JSON.stringify(route));
  await store.put(keys.route('shop'), JSON.stringify({ ...route, updatedAt: 'later' })); // same release and VSs: no line
  await store.put(keys.event('farm', '2'), JSON.stringify(event({ type: 'farm', action: 'vs.crashed', message: 'shop-1 exited with code 1 (restart 1)' })));
  await store.delete(keys.route('shop'));
  await waitFor(async () => said.length >= 3, { what: 'three lines' });
  assert.deepEqual(said.map((l) => l.slice(10)), ['shop: serving release r1 on 1 virtual server', '! shop-1 exited with code 1 (restart 1)', 'shop: no longer routed']);
  assert.match(said[0]!, /^\d\d:\d\d:\d\d {2}/);
});
