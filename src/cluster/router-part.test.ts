// The router part's steps on the shutdown stack: pushed as each piece comes up, unwound in
// the reverse order (its record first, the router's drain last); a start that fails (the
// port taken) leaves no worker running, and workers booted early are stopped with whatever
// fails before the part takes them. A real SQLite store, real workers on loopback.
import assert from 'node:assert/strict';
import cluster from 'node:cluster';
import { request } from 'node:http';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { it } from 'node:test';
import { keys, type Route } from '../model/index.ts';
import { silentLogger } from '../lib/log.ts';
import { bootRouterWorkers } from './router-boot.ts';
import { stackOverStore } from './testing.ts';
import { holdRouterBoot, startRouterPart, type RouterPartOptions } from './router-part.ts';

const PART: RouterPartOptions = { id: 'r1', workers: 1, httpPort: 0, host: '127.0.0.1', metrics: true, log: silentLogger };

it('serves the table it found, and stops in reverse: record, load, routes, router', async (t) => {
  const { stack, store, steps } = await stackOverStore(t, 'corral-router-part-', 'destroy');
  const route: Route = { site: 'shop', domains: ['a.test'], endpoints: [], updatedAt: '' };
  await store.put(keys.route('shop'), JSON.stringify(route));
  const part = await startRouterPart(stack, store, PART);
  assert.equal(await statusOf(part.url, 'a.test'), 503, 'a known site without endpoints, not a 404');
  assert.equal(await statusOf(part.url, 'b.test'), 404);
  assert.ok(part.router && part.siteStats, 'in process, with its per-site figures');
  assert.ok(await store.get(keys.router('r1')), 'its record');
  await stack.close();
  assert.deepEqual(steps(), ['router record', 'load records', 'routes watch', 'router', 'store']);
});

it('registers the URL other hosts reach it at when given (a router on 0.0.0.0 would name loopback)', async (t) => {
  const { stack, store } = await stackOverStore(t, 'corral-router-part-', 'destroy');
  await startRouterPart(stack, store, { ...PART, publicUrl: 'http://10.0.0.5:8080' });
  const record = JSON.parse((await store.get(keys.router('r1')))!.value) as { url: string };
  assert.equal(record.url, 'http://10.0.0.5:8080');
  await stack.close();
});

it('a port in use fails the start and leaves no worker running', async (t) => {
  const { stack, store } = await stackOverStore(t, 'corral-router-part-', 'destroy');
  const taken = createServer();
  await new Promise<void>((ok) => taken.listen(0, '127.0.0.1', ok));
  t.after(() => new Promise<void>((ok) => taken.close(() => ok())));
  const port = (taken.address() as AddressInfo).port;
  await assert.rejects(startRouterPart(stack, store, { ...PART, workers: 2, httpPort: port }));
  assert.equal(await store.get(keys.router('r1')), undefined, 'no record');
  await stack.close();
  assert.equal(Object.keys(cluster.workers ?? {}).length, 0, 'every worker gone');
});

it('workers booted early are stopped with a failure before the part takes them', async (t) => {
  const { stack, steps } = await stackOverStore(t, 'corral-router-part-', 'destroy');
  holdRouterBoot(stack, bootRouterWorkers({ ...PART, workers: 2 }, silentLogger));
  await stack.close(); // as when joining the farm fails
  assert.equal(Object.keys(cluster.workers ?? {}).length, 0, 'every worker gone');
  assert.deepEqual(steps(), ['router workers', 'store']);
});

function statusOf(url: string, host: string): Promise<number> {
  return new Promise((done, fail) => {
    request(url, { headers: { host } }, (res) => {
      res.resume().on('end', () => done(res.statusCode ?? 0));
    }).on('error', fail).end();
  });
}
