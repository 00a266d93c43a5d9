import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { get, type IncomingMessage } from 'node:http';
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

test('a client that does not read gets the latest view once it reads again, not every view meanwhile', async (t) => {
  const { h, base } = await listeningWithCustomers(t);
  // 1000 sites of 2 KB each: each view about 2 MB, more than loopback's socket buffers hold a few of
  const now = new Date().toISOString();
  const site = (i: number, updatedAt: string) => ({ id: `id${i}`, name: `s${i}`, customer: 'acme', domains: [`${'d'.repeat(2000)}.s${i}.test`], kind: 'static', replicas: 1, healthPath: '/', env: {}, createdAt: now, updatedAt });
  const puts = Array.from({ length: 1000 }, (_, i) => ({ type: 'put' as const, key: keys.site(`s${i}`), value: JSON.stringify(site(i, now)) }));
  await h.store.txn({ compare: [], success: puts });
  const reader = await openStream(base, h.admin.token);
  t.after(() => reader.close());
  // the stalled client: an HTTP client that stops reading after the headers
  const stalled = await new Promise<IncomingMessage>((ok, fail) => get(`${base}/v1/status/stream`, { headers: { authorization: `Bearer ${h.admin.token}` } }, ok).on('error', fail));
  stalled.pause();
  t.after(() => stalled.destroy());
  await waitFor(() => reader.events.length === 1, { what: 'the first view' });
  const CHANGES = 15;
  for (let k = 1; k <= CHANGES; k++) {
    const stamp = `2031-01-01T00:00:00.${String(k).padStart(3, '0')}Z`;
    await h.store.put(keys.site('s0'), JSON.stringify(site(0, stamp)));
    await waitFor(() => reader.events.at(-1)?.sites.some((s) => (s as { updatedAt?: string }).updatedAt === stamp), { what: `change ${k} on the reading stream` });
  }
  // read what the stalled stream holds: up to the last change, then count its views
  let text = '';
  stalled.setEncoding('utf8');
  stalled.on('data', (chunk: string) => (text += chunk));
  stalled.resume();
  const last = `2031-01-01T00:00:00.${String(CHANGES).padStart(3, '0')}Z`;
  await waitFor(() => text.includes(last) && text.endsWith('\n\n'), { what: 'the last change on the stalled stream' });
  const views = text.split('event: status\n').length - 1;
  assert.equal(reader.events.length, CHANGES + 1);
  assert.ok(views < reader.events.length, `the stalled client got ${views} views of ${reader.events.length}`);
});

test('a status stream ends once the token that opened it is revoked; one opened with another token goes on', async (t) => {
  const { h, base, acme } = await listeningWithCustomers(t);
  const ci = (await acme.post('/v1/customers/acme/tokens', { name: 'ci' })).json.token as string;
  const open = (token: string) =>
    new Promise<IncomingMessage>((ok, fail) => get(`${base}/v1/status/stream`, { headers: { authorization: `Bearer ${token}` } }, ok).on('error', fail));
  const revoked = await open(ci);
  const kept = await open(acme.token!);
  t.after(() => { revoked.destroy(); kept.destroy(); });
  let revokedEnded = false;
  let keptEnded = false;
  revoked.on('end', () => (revokedEnded = true)).resume();
  kept.on('end', () => (keptEnded = true)).resume();
  const id = ((await acme.get('/v1/customers/acme/tokens')).json.tokens as { id: string; name: string }[]).find((x) => x.name === 'ci')!.id;
  assert.equal((await acme.delete(`/v1/customers/acme/tokens/${id}`)).status, 204);
  await waitFor(() => revokedEnded, { what: 'the stream of the revoked token to end', timeoutMs: 15_000 });
  assert.equal(keptEnded, false, 'the other token\'s stream goes on');
  assert.equal((await h.client(ci).get('/v1/status')).status, 401);
});
