import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
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

const names = (s: Status | undefined) => (s?.sites ?? []).map((x) => x.name).sort();

test('GET /v1/status/stream pushes the farm view as it changes, scoped by the token', async (t) => {
  const h = await startController(t);
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
  const acme = await h.customer('acme');
  const globex = await h.customer('globex');
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
