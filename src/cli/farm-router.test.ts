// The wake-queue flags reach the farm's router, in this process and in its workers: a
// queue of 1 answers the second request for an idle site 503 ROUTER_WAKE_QUEUE_FULL, and
// a short wait answers a held request 503 ROUTER_WAKE_TIMEOUT well before the router's
// default 10 s. A real SQLite store holds the idle route; requests go over loopback.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { it, type TestContext } from 'node:test';
import { keys, type Route, type RouterRecord } from '../model/index.ts';
import type { Store } from '../store/index.ts';
import { silentLogger } from '../lib/log.ts';
import { waitFor } from '../lib/wait.ts';
import { CliError } from './errors.ts';
import { wakeQueueSettings, type WakeQueueFlags } from './commands/wake-queue-flags.ts';
import { startRouterPart } from '../cluster/index.ts';
import { stackOverStore } from '../cluster/testing.ts';
import { farmRouterOptions } from './farm-router.ts';

const HOST = 'idle.test';

it('--wake-queue 1: the second request held for an idle site gets 503 ROUTER_WAKE_QUEUE_FULL', async (t) => {
  const { store, router } = await farmWithIdleSite(t, 1, { wakeQueue: '1', wakeTimeout: '30s' });
  const held = get(router.url);
  await waitFor(async () => (await store.get(keys.wake('idle'))) !== undefined, { what: 'the first request held (its wake asked)' });
  const second = await get(router.url);
  assert.equal(second.status, 503);
  assert.match(second.body, /site idle is starting from idle and 1 requests already wait for it/, 'ROUTER_WAKE_QUEUE_FULL');
  await router.close(); // answers the held one at once
  assert.equal((await held).status, 503);
});

it('--wake-timeout 300ms reaches the router workers: a held request gets 503 ROUTER_WAKE_TIMEOUT after it', async (t) => {
  const { router } = await farmWithIdleSite(t, 2, { wakeTimeout: '300ms' });
  const started = Date.now();
  const reply = await get(router.url);
  assert.equal(reply.status, 503);
  assert.match(reply.body, /starting from idle and was not ready within/, 'ROUTER_WAKE_TIMEOUT');
  assert.ok(Date.now() - started >= 250 && Date.now() - started < 5_000, `answered after ${Date.now() - started} ms`);
});

it('bad --wake-queue and --wake-timeout values are refused with the flag named', () => {
  for (const bad of ['-1', '1.5', 'many', '', '100001']) assert.throws(() => wakeQueueSettings({ wakeQueue: bad }), (e: unknown) => e instanceof CliError && /--wake-queue must be a whole number from 0 to 100000/.test(e.message), bad);
  for (const bad of ['soon', '50ms', '11m', '-1s', '1h', '0.0001s']) assert.throws(() => wakeQueueSettings({ wakeTimeout: bad }), /--wake-timeout must be a duration from 100ms to 10m/, bad);
  assert.deepEqual(wakeQueueSettings({}), {});
  assert.deepEqual(wakeQueueSettings({ wakeQueue: '0', wakeTimeout: '10' }), { wakeQueue: 0, wakeTimeoutMs: 10_000 });
  assert.deepEqual(wakeQueueSettings({ wakeQueue: '250', wakeTimeout: '1.5m' }), { wakeQueue: 250, wakeTimeoutMs: 90_000 });
});

interface FarmRouter {
  url: string;
  close(): Promise<void>;
}

/** The farm's router part as farm.ts starts it, on one shutdown stack with the store beneath. */
async function farmWithIdleSite(t: TestContext, workers: number, flags: WakeQueueFlags): Promise<{ store: Store; router: FarmRouter }> {
  const { dir, stack, store } = await stackOverStore(t, 'corral-farm-router-');
  const route: Route = { site: 'idle', domains: [HOST], endpoints: [], updatedAt: '', idle: true };
  await store.put(keys.route('idle'), JSON.stringify(route));
  const part = await startRouterPart(stack, store, await farmRouterOptions(dir, { httpPort: 0, host: '127.0.0.1', routerWorkers: workers, wake: wakeQueueSettings(flags), log: silentLogger }));
  const record = JSON.parse((await store.get(keys.router('local')))!.value) as RouterRecord;
  assert.deepEqual({ ...record, startedAt: '' }, { id: 'local', url: part.url, startedAt: '' }, "the farm's router record");
  return { store, router: { url: part.url, close: () => stack.close() } };
}

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((done, fail) => {
    const req = request(url, { headers: { host: HOST } }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => done({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', fail).end();
  });
}
