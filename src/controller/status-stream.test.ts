import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { isDeepStrictEqual } from 'node:util';
import { keys, type Assignment, type EngineRecord, type VsStatus } from '../model/index.ts';
import { waitFor } from '../lib/wait.ts';
import { startController } from './test-harness.ts';

interface Status { sites: { name: string }[]; engines: unknown[] }

/** Reads `status` events from GET /v1/status/stream into `events` until aborted. */
async function openStream(base: string, token: string | undefined): Promise<{ status: number; type: string; events: Status[]; close(): void }> {
  const ctl = new AbortController();
  const res = await fetch(`${base}/v1/status/stream`, { headers: token ? { authorization: `Bearer ${token}` } : {}, signal: ctl.signal });
  const events: Status[] = [];
  if (res.ok && res.body) {
    void (async () => {
      const decoder = new TextDecoder();
      let buf = '';
      for await (const chunk of res.body!) {
        buf += decoder.decode(chunk as Uint8Array, { stream: true });
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const data = block.split('\n').find((l) => l.startsWith('data: '));
          if (block.startsWith('event: status\n') && data) events.push(JSON.parse(data.slice(6)) as Status);
        }
      }
    })().catch(() => {});
  } else await res.body?.cancel();
  return { status: res.status, type: res.headers.get('content-type') ?? '', events, close: () => ctl.abort() };
}

/** A controller listening on loopback, with customers acme and globex. */
async function listeningWithCustomers(t: TestContext) {
  const h = await startController(t);
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
  return { h, base, acme: await h.customer('acme'), globex: await h.customer('globex') };
}

const names = (s: Status | undefined) => (s?.sites ?? []).map((x) => x.name).sort();

test('GET /v1/status/stream pushes the farm view as it changes, scoped by the token', async (t) => {
  const { h, base, acme, globex } = await listeningWithCustomers(t);
  assert.equal((await acme.post('/v1/sites', { name: 'www', domains: ['www.acme.test'], kind: 'static' })).status, 201);

  assert.equal((await openStream(base, undefined)).status, 401);
  const mine = await openStream(base, acme.token);
  const all = await openStream(base, h.admin.token);
  t.after(() => { mine.close(); all.close(); });
  assert.equal(mine.status, 200);
  assert.match(mine.type, /^text\/event-stream/);
  await waitFor(() => mine.events.length === 1 && all.events.length === 1, { what: 'the first view on both streams' });
  assert.deepEqual(names(mine.events[0]), ['www']);
  assert.deepEqual(mine.events[0]!.engines, [], 'a customer sees no engines');

  // another customer's change reaches the admin, never acme's stream
  assert.equal((await globex.post('/v1/sites', { name: 'shop', domains: ['shop.globex.test'], kind: 'static' })).status, 201);
  await waitFor(() => names(all.events.at(-1)).join() === 'shop,www', { what: "the admin's stream to show globex's site" });
  // acme's own change is pushed, well before the periodic re-read
  const started = Date.now();
  assert.equal((await acme.post('/v1/sites', { name: 'blog', domains: ['blog.acme.test'], kind: 'static' })).status, 201);
  await waitFor(() => names(mine.events.at(-1)).join() === 'blog,www', { what: "acme's stream to show its new site", timeoutMs: 1_500 });
  assert.ok(Date.now() - started < 1_500);
  for (const e of mine.events) assert.ok(!names(e).includes('shop'), `acme never sees shop: ${JSON.stringify(names(e))}`);
  assert.equal(mine.events.length, 2, 'an unchanged view is not sent again');
});

test('each stream carries exactly what GET /v1/status answers the same token, pools, capped sites and the leader included', async (t) => {
  const { h, base, acme, globex } = await listeningWithCustomers(t);
  assert.equal((await acme.post('/v1/sites', { name: 'www', domains: ['www.acme.test'], kind: 'static', pooled: true, replicas: 2 })).status, 201);
  assert.equal((await globex.post('/v1/sites', { name: 'shop', domains: ['shop.globex.test'], kind: 'static', pooled: true })).status, 201);
  const now = new Date().toISOString();
  const engine: EngineRecord = { id: 'e1', runtime: 'process', capacity: { cpus: 2, memoryMb: 1024, maxVirtualServers: 10 }, startedAt: now };
  await h.store.put(keys.engine('e1'), JSON.stringify(engine));
  await h.store.put(keys.leader, JSON.stringify({ id: 'ctl-1', since: now }));
  for (const [vs, customer, site] of [['pool-acme', 'acme', 'www'], ['pool-globex', 'globex', 'shop']] as const) {
    const a: Assignment = { vs, engine: 'e1', site: vs, customer, kind: 'static', release: 'p1', sha256: 'f'.repeat(64), healthPath: '/', env: {}, domains: [], createdAt: now, pool: { sites: [{ site, release: 'r1', sha256: 'f'.repeat(64), domains: [] }] } };
    const s: VsStatus = { vs, engine: 'e1', site: vs, release: 'p1', state: 'ready', address: '127.0.0.1', port: 8080, restarts: 0, updatedAt: now, sites: { [site]: 'r1' } };
    await h.store.put(keys.assignment('e1', vs), JSON.stringify(a));
    await h.store.put(keys.vsStatus('e1', vs), JSON.stringify(s));
  }
  const streams = { admin: await openStream(base, h.admin.token), acme: await openStream(base, acme.token), globex: await openStream(base, globex.token) };
  t.after(() => Object.values(streams).forEach((s) => s.close()));
  const clients = { admin: h.admin, acme, globex };
  for (const who of ['admin', 'acme', 'globex'] as const) {
    const expected = (await clients[who].get('/v1/status')).json as Status;
    await waitFor(() => isDeepStrictEqual(streams[who].events.at(-1), expected), { what: `${who}'s stream to match GET /v1/status` });
  }
  const acmeView = streams.acme.events.at(-1) as unknown as { virtualServers: { vs: string }[]; capped?: Record<string, number>; leader?: unknown };
  assert.deepEqual(acmeView.virtualServers.map((v) => v.vs), ['pool-acme'], "acme sees its pool, not globex's");
  assert.deepEqual(acmeView.capped, { www: 1 }, 'a pooled site asking 2 replicas of 1 engine');
  assert.equal(acmeView.leader, undefined, 'the leader is for admins');
  assert.equal((streams.admin.events.at(-1) as unknown as { leader?: { id: string } }).leader?.id, 'ctl-1');
  for (const e of streams.acme.events) assert.ok(!JSON.stringify(e).includes('globex'), 'nothing of globex on acme\'s stream');
});
