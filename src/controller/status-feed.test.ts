import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { waitFor } from '../lib/wait.ts';
import { keys, type Assignment, type Site, type VsStatus } from '../model/index.ts';
import { openSqliteStore } from '../store/sqlite-store.ts';
import type { Store } from '../store/types.ts';
import { BUILD_BURST, createStatusFeed, type StatusFeedOptions } from './status-feed.ts';
import { countRanges } from './test-harness.ts';

interface View { sites: Site[]; virtualServers: { vs: string; customer?: string; memoryBytes?: number }[] }

const now = new Date().toISOString();

function site(name: string, customer: string, updatedAt = now): Site {
  return { id: `id-${name}`, name, customer, domains: [`${name}.test`], kind: 'static', replicas: 1, healthPath: '/', env: {}, release: 'r1', createdAt: now, updatedAt };
}

async function openStore(t: TestContext): Promise<Store> {
  const dir = await mkdtemp(join(tmpdir(), 'corral-feed-'));
  const store = await openSqliteStore(join(dir, 'store.db'));
  t.after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });
  return store;
}

async function putVs(store: Store, vs: string, site: string, customer: string, pid?: number): Promise<void> {
  const a: Assignment = { vs, engine: 'e1', site, customer, kind: 'static', release: 'r1', sha256: 'f'.repeat(64), healthPath: '/', env: {}, domains: [], createdAt: now };
  const s: VsStatus = { vs, engine: 'e1', site, release: 'r1', state: 'ready', address: '127.0.0.1', port: 8080, restarts: 0, updatedAt: now, ...(pid !== undefined ? { pid } : {}) };
  await store.txn({ compare: [], success: [{ type: 'put', key: keys.assignment('e1', vs), value: JSON.stringify(a) }, { type: 'put', key: keys.vsStatus('e1', vs), value: JSON.stringify(s) }] });
}

/** A feed over store with its subscribers' views collected; closed when the test ends. */
function feedOf(t: TestContext, store: Store, opts: Partial<StatusFeedOptions> = {}) {
  const feed = createStatusFeed({ store, ...opts });
  t.after(() => feed.close());
  const follow = (customer?: string) => {
    const views: View[] = [];
    const unsubscribe = feed.subscribe(customer === undefined ? {} : { customer }, (json) => views.push(JSON.parse(json) as View));
    return { views, unsubscribe };
  };
  return { feed, follow };
}

test('a burst of writes gives a bounded number of views, the last state among them, without reading the farm again', async (t) => {
  const store = await openStore(t);
  for (let i = 0; i < 50; i++) await store.put(keys.site(`s${i}`), JSON.stringify(site(`s${i}`, i % 2 ? 'acme' : 'globex')));
  const { feed, follow } = feedOf(t, store, { coalesceMs: 100 });
  const admin = follow();
  const second = follow(); // same scope: same build, same views
  await waitFor(() => admin.views.length === 1 && second.views.length === 1, { what: 'the first view' });
  assert.equal(admin.views[0]!.sites.length, 50);
  const ranges = countRanges(store);
  const buildsBefore = feed.builds();

  const started = Date.now();
  const BURST = 300;
  for (let k = 0; k < BURST; k++) await store.put(keys.site(`s${k % 50}`), JSON.stringify(site(`s${k % 50}`, k % 50 % 2 ? 'acme' : 'globex', `2031-01-01T00:00:00.${String(k).padStart(3, '0')}Z`)));
  const last = `2031-01-01T00:00:00.${String(BURST - 1).padStart(3, '0')}Z`;
  await waitFor(() => admin.views.at(-1)?.sites.some((s) => s.updatedAt === last), { what: 'the last write in a view' });
  const elapsed = Date.now() - started;

  const events = admin.views.length - 1;
  const bound = Math.ceil(elapsed / 100) + BUILD_BURST + 1; // a few at once, then one build per coalescing interval
  assert.ok(events <= bound, `${events} views for ${BURST} writes in ${elapsed} ms (at most ${bound})`);
  assert.ok(feed.builds() - buildsBefore <= bound, 'one build per interval, shared by both clients');
  assert.deepEqual(second.views, admin.views, 'clients of one scope get the same views');
  assert.equal(ranges.count, 0, 'no prefix read again: the views come from the mirror');
  // every site's latest record is in the last view
  const latest = new Map<string, string>();
  for (let k = 0; k < BURST; k++) latest.set(`s${k % 50}`, `2031-01-01T00:00:00.${String(k).padStart(3, '0')}Z`);
  assert.deepEqual(new Map(admin.views.at(-1)!.sites.map((s) => [s.name, s.updatedAt])), latest);
});

test("a customer's views never carry another customer's sites or servers, and stay unchanged while only another customer changes", async (t) => {
  const store = await openStore(t);
  await store.put(keys.site('www'), JSON.stringify(site('www', 'acme')));
  await store.put(keys.site('shop'), JSON.stringify(site('shop', 'globex')));
  await putVs(store, 'www-a', 'www', 'acme');
  await putVs(store, 'shop-a', 'shop', 'globex');
  const { follow } = feedOf(t, store, { coalesceMs: 20 });
  const acme = follow('acme');
  const admin = follow();
  await waitFor(() => acme.views.length === 1 && admin.views.length === 1, { what: 'the first views' });

  for (let k = 0; k < 40; k++) {
    await store.put(keys.site(`shop${k}`), JSON.stringify(site(`shop${k}`, 'globex')));
    await putVs(store, `shop${k}-a`, `shop${k}`, 'globex');
  }
  await waitFor(() => admin.views.at(-1)?.virtualServers.some((v) => v.vs === 'shop39-a'), { what: "globex's last server in the admin's view" });
  assert.equal(acme.views.length, 1, "acme's view did not change: nothing sent");
  // a site of acme's: it arrives, and still nothing of globex's
  await store.put(keys.site('blog'), JSON.stringify(site('blog', 'acme')));
  await waitFor(() => acme.views.at(-1)?.sites.some((s) => s.name === 'blog'), { what: "acme's new site" });
  for (const v of acme.views) {
    assert.deepEqual(v.sites.map((s) => s.customer).filter((c) => c !== 'acme'), []);
    assert.deepEqual(v.virtualServers.map((s) => s.vs), ['www-a']);
  }
});

test('the usage tick sends nothing while no figure moves, and a view once one does', async (t) => {
  const store = await openStore(t);
  await store.put(keys.site('www'), JSON.stringify(site('www', 'acme')));
  await putVs(store, 'www-a', 'www', 'acme', 4242);
  let memoryBytes = 1000;
  let looks = 0;
  const vsUsage = (v: { pid?: number }) => (looks++, v.pid === 4242 ? { memoryBytes, cpuSeconds: 1 } : undefined);
  const { feed, follow } = feedOf(t, store, { coalesceMs: 10, tickMs: 10, vsUsage });
  const acme = follow('acme');
  await waitFor(() => acme.views.length === 1, { what: 'the first view' });
  assert.equal(acme.views[0]!.virtualServers[0]!.memoryBytes, 1000);
  const builds = feed.builds();
  const seen = looks;
  await waitFor(() => looks >= seen + 10, { what: 'ten looks at the usage figures' });
  assert.ok(feed.builds() <= builds + 1, `no builds while the figures stand (${feed.builds() - builds})`);
  assert.equal(acme.views.length, 1, 'nothing sent');
  memoryBytes = 2000;
  await waitFor(() => acme.views.at(-1)?.virtualServers[0]?.memoryBytes === 2000, { what: 'the moved figure' });
  assert.equal(acme.views.length, 2);
});

test('the last client leaving drops the mirror; the next one reads the farm as it is then', async (t) => {
  const store = await openStore(t);
  await store.put(keys.site('www'), JSON.stringify(site('www', 'acme')));
  const { follow } = feedOf(t, store, { coalesceMs: 10 });
  const first = follow('acme');
  await waitFor(() => first.views.length === 1, { what: 'the first view' });
  first.unsubscribe();
  await store.put(keys.site('blog'), JSON.stringify(site('blog', 'acme')));
  assert.equal(first.views.length, 1, 'nothing sent after unsubscribing');
  const ranges = countRanges(store);
  const next = follow('acme');
  await waitFor(() => next.views.length === 1, { what: 'the next view' });
  assert.ok(ranges.count > 0, 'the farm read afresh');
  assert.deepEqual(next.views[0]!.sites.map((s) => s.name), ['blog', 'www']);
});

test('a failed read of the farm is tried again on the tick', async (t) => {
  const store = await openStore(t);
  await store.put(keys.site('www'), JSON.stringify(site('www', 'acme')));
  const range = store.range.bind(store);
  let failures = 2;
  store.range = (...args: Parameters<Store['range']>) => (failures-- > 0 ? Promise.reject(new Error('store unavailable')) : range(...args));
  const { follow } = feedOf(t, store, { coalesceMs: 10, tickMs: 20 });
  const acme = follow('acme');
  await waitFor(() => acme.views.length === 1, { what: 'the view once the store answers' });
  assert.ok(failures < 0, 'the failed reads were made');
  assert.deepEqual(acme.views[0]!.sites.map((s) => s.name), ['www']);
});
