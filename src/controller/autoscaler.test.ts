// The autoscaler on a real SQLite store, fed the way routers feed it: two routers
// (publishLoad, each its own record on its own lease) whose figures are summed; it
// scales out on their load, in after the stable window, to zero when idle, and wakes
// at once on a wake record a router puts, which it then deletes. Every decision is a
// farm event with its reason.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../store/sqlite-store.ts';
import { publishLoad, type LoadReport, type LoadSource } from '../router/index.ts';
import { keys, type ScaleRecord, type Site } from '../model/index.ts';
import { holdsFor, waitFor } from '../lib/wait.ts';
import { createEventLog } from './event-log.ts';
import { startAutoscaler } from './autoscaler.ts';
import { metricsRegistry } from './metrics.ts';

/** A router's side as publishLoad sees it: a load the test sets, and its wake listener. */
function fakeRouter(): LoadSource & { load: LoadReport; wake(site: string): void } {
  let listener: (site: string) => void = () => {};
  return {
    load: {},
    takeLoad() { return this.load; },
    onWake(l) { listener = l; },
    wake: (site) => listener(site),
  };
}

describe('autoscaler (real store, two routers)', () => {
  it('sums the routers, scales out, in after the window, to zero when idle, and wakes on a wake record', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'corral-autoscaler-'));
    const store = await openSqliteStore(join(dir, 'store.db'));
    t.after(async () => { await store.close(); await rm(dir, { recursive: true, force: true }); });
    const site: Site = {
      id: '0abc', name: 'web', customer: 'acme', domains: ['web.test'], kind: 'app', command: 'x', replicas: 1, healthPath: '/', env: {},
      createdAt: '', updatedAt: '', release: 'v1', autoscale: { minReplicas: 0, maxReplicas: 4, targetConcurrency: 2, idleTimeoutMs: 1_000 },
    };
    await store.put(keys.site('web'), JSON.stringify(site));
    const [r1, r2] = [fakeRouter(), fakeRouter()];
    const stops = [publishLoad(store, r1, { id: 'r1', intervalMs: 100 }), publishLoad(store, r2, { id: 'r2', intervalMs: 100 })];
    const events = createEventLog(store);
    const scaler = await startAutoscaler({ store, events, timing: { tickMs: 100, panicWindowMs: 600, stableWindowMs: 1_000 } });
    t.after(async () => { stops.forEach((s) => s()); await scaler.close(); });
    const replicas = async () => {
      const kv = await store.get(keys.scale('web'));
      return kv ? (JSON.parse(kv.value) as ScaleRecord).replicas : undefined;
    };

    await waitFor(async () => (await replicas()) === 1, { what: 'the start count, 1' });
    r1.load = { web: { concurrency: 3, peak: 3, requests: 30, open: 3 } };
    r2.load = { web: { concurrency: 2.5, peak: 3, requests: 20, open: 2 } };
    await waitFor(async () => (await replicas()) === 3, { what: '5.5 in flight over two routers / 2 → 3' });
    r1.load = { web: { concurrency: 0.5, peak: 1, requests: 5, open: 0 } };
    r2.load = { web: { concurrency: 0, peak: 0, requests: 1, open: 0 } };
    const quiet = Date.now();
    await waitFor(async () => (await replicas()) === 1, { what: 'back to 1 after the stable window' });
    assert.ok(Date.now() - quiet >= 900, `scaled in after ${Date.now() - quiet} ms (window 1 s)`);
    r1.load = {};
    r2.load = {};
    await waitFor(async () => (await replicas()) === 0, { what: 'idle → 0' });

    const woken = Date.now();
    r2.wake('web');
    await waitFor(async () => (await replicas()) === 1, { what: 'a wake → 1' });
    t.diagnostic(`wake record → decision in ${Date.now() - woken} ms`);
    await waitFor(async () => (await store.get(keys.wake('web'))) === undefined, { what: 'the wake record deleted' });

    const log = (await events.list({}, { site: 'web' })).reverse().map((e) => `${e.action} ${e.message ?? ''}`);
    assert.match(log.shift()!, /^scale\.start web: – → 1 replica\(s\)/);
    // out in one or two steps as the panic window's mean climbs, never past what 5.5 in flight needs
    const outs = [];
    while (log[0]?.startsWith('scale.out')) outs.push(log.shift()!);
    assert.ok(outs.length >= 1 && outs.length <= 2, outs.join('\n'));
    for (const o of outs) assert.match(o, /^scale\.out web: \d → [23] replica\(s\): concurrency [\d.]+ over 600ms, target 2 per VS/);
    assert.match(outs.at(-1)!, / → 3 replica/);
    assert.match(log[0]!, /^scale\.in web: 3 → 1 replica\(s\): concurrency at most 0\.5 for 1s/);
    assert.match(log[1]!, /^scale\.zero web: 1 → 0 replica\(s\): no request for [\d.]+s \(idle timeout 1s\)/);
    assert.match(log[2]!, /^scale\.wake web: 0 → 1 replica\(s\): woken by a request held at a router/);
    assert.equal(log.length, 3, log.join('\n'));
    assert.match(await metricsRegistry.metrics(), /^corral_autoscale_decisions_total\{action="scale\.wake"\} [1-9]/m);
  });

  it('a late record (its router alive, slow) still keeps the site of an open tunnel awake; its close lets the site go idle', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'corral-autoscaler-'));
    const store = await openSqliteStore(join(dir, 'store.db'));
    t.after(async () => { await store.close(); await rm(dir, { recursive: true, force: true }); });
    const site: Site = {
      id: '0abc', name: 'chat', customer: 'acme', domains: ['chat.test'], kind: 'app', command: 'x', replicas: 1, healthPath: '/', env: {},
      createdAt: '', updatedAt: '', release: 'v1', autoscale: { minReplicas: 0, maxReplicas: 1, idleTimeoutMs: 300 },
    };
    await store.put(keys.site('chat'), JSON.stringify(site));
    // one report, then silence: a router whose machine is too loaded to report every second
    const report = (open: number) => store.put(keys.routerLoad('r1'), JSON.stringify({ router: 'r1', at: Date.now(), sites: { chat: { concurrency: open, peak: open, requests: 1, open } } }));
    await report(1);
    const scaler = await startAutoscaler({ store, events: createEventLog(store), timing: { tickMs: 50, panicWindowMs: 300, stableWindowMs: 600 } });
    t.after(() => scaler.close());
    const replicas = async () => {
      const kv = await store.get(keys.scale('chat'));
      return kv ? (JSON.parse(kv.value) as ScaleRecord).replicas : undefined;
    };
    await waitFor(async () => (await replicas()) === 1, { what: 'the start count, 1' });
    const from = Date.now();
    // the record is late after 3 s (three ticks of at least the routers' 1 s); well past that the tunnel still counts
    await holdsFor(async () => assert.equal(await replicas(), 1, `scaled to zero ${Date.now() - from} ms into a late report of an open tunnel`), 4_500);
    await report(0); // the tunnel closed
    await waitFor(async () => (await replicas()) === 0, { what: 'idle once the router says the tunnel closed' });
  });

  it('many sites deciding at once are written in several transactions (etcd takes 128 operations at most)', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'corral-autoscaler-'));
    const store = await openSqliteStore(join(dir, 'store.db'));
    t.after(async () => { await store.close(); await rm(dir, { recursive: true, force: true }); });
    const sizes: number[] = [];
    const txn = store.txn.bind(store);
    store.txn = async (req) => (sizes.push(req.success.length), txn(req));
    for (let i = 0; i < 250; i++) {
      const name = `s${i}`;
      await store.put(keys.site(name), JSON.stringify({ id: `0${i}`, name, customer: 'acme', domains: [`${name}.test`], kind: 'static', replicas: 1, healthPath: '/', env: {}, createdAt: '', updatedAt: '', autoscale: { minReplicas: 1, maxReplicas: 2 } }));
    }
    const scaler = await startAutoscaler({ store, events: createEventLog(store), timing: { tickMs: 60_000 } });
    t.after(() => scaler.close());
    await scaler.runOnce();
    assert.equal((await store.range(keys.scales)).kvs.length, 250);
    assert.ok(sizes.length >= 3 && sizes.every((n) => n <= 100), `transactions of ${sizes.join(', ')} operations`);
  });

  it('a site that stops autoscaling loses its record; a fenced-out autoscaler writes nothing', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'corral-autoscaler-'));
    const store = await openSqliteStore(join(dir, 'store.db'));
    t.after(async () => { await store.close(); await rm(dir, { recursive: true, force: true }); });
    const site = { id: '0abc', name: 'web', customer: 'acme', domains: ['web.test'], kind: 'static', replicas: 1, healthPath: '/', env: {}, createdAt: '', updatedAt: '' };
    await store.put(keys.site('web'), JSON.stringify({ ...site, autoscale: { minReplicas: 1, maxReplicas: 2 } }));
    const fenced = await startAutoscaler({ store, events: createEventLog(store), fence: () => undefined, timing: { tickMs: 50 } });
    await fenced.runOnce();
    await fenced.close();
    assert.equal(await store.get(keys.scale('web')), undefined, 'not the leader: nothing written');
    const scaler = await startAutoscaler({ store, events: createEventLog(store), timing: { tickMs: 50 } });
    t.after(() => scaler.close());
    await waitFor(async () => (await store.get(keys.scale('web'))) !== undefined, { what: 'a record' });
    await store.put(keys.site('web'), JSON.stringify(site));
    await waitFor(async () => (await store.get(keys.scale('web'))) === undefined, { what: 'the record gone with autoscaling' });
  });
});
