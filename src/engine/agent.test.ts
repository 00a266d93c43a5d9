import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { silentLogger } from '../lib/log.ts';
import { packDirectory } from '../lib/tarball.ts';
import { waitFor } from '../lib/wait.ts';
import { keys, type Assignment, type Site, type VsStatus } from '../model/index.ts';
import { openSqliteStore } from '../store/sqlite-store.ts';
import type { Store } from '../store/types.ts';
import { buildEngineAgent, type EngineAgentOptions } from './agent.ts';
import { createProcessRuntime } from './process-runtime.ts';
import { httpGet, onCleanup, processAlive, readVsLog, tempDir, TEST_APP_COMMAND, writeTestRelease } from './testing.ts';
import { parseStamped } from '../lib/stamped-line.ts';

const ENGINE = 'engine-1';
const TIMING = { startupPollMs: 20, pollMs: 100, backoffBaseMs: 20, backoffMaxMs: 200 };

async function farm(t: TestContext, extra: Partial<EngineAgentOptions> = {}) {
  const base = await tempDir(t);
  const store = await openSqliteStore(path.join(base, 'store.db'), { leaseCheckIntervalMs: 50 });
  onCleanup(t, () => store.close());
  const blobs = new Map<string, string>();
  const runtime = createProcessRuntime({ runDir: path.join(base, 'engine', 'run'), log: silentLogger });
  onCleanup(t, () => runtime.destroy());
  const fetched: string[] = [];
  const agent = buildEngineAgent({
    store, engineId: ENGINE, dir: path.join(base, 'engine'), runtime, log: silentLogger, leaseTtlSeconds: 1, stopGraceMs: 2_000, timing: TIMING,
    fetchBlob: async (sha) => {
      fetched.push(sha);
      const file = blobs.get(sha);
      if (!file) throw new Error(`no blob ${sha}`);
      return file;
    },
    ...extra,
  });
  onCleanup(t, () => agent.destroy());
  await agent.start();

  /** Pack files as a release tarball; returns its sha256. */
  const release = async (name: string, files: Record<string, string> = {}, app = true) => {
    const dir = path.join(base, 'src', name);
    if (app) await writeTestRelease(dir, files);
    else {
      await mkdir(dir, { recursive: true });
      for (const [f, c] of Object.entries(files)) await writeFile(path.join(dir, f), c);
    }
    const out = path.join(base, `${name}.tar.gz`);
    await packDirectory(dir, out);
    const sha = createHash('sha256').update(await readFile(out)).digest('hex');
    blobs.set(sha, out);
    return sha;
  };
  const status = async (vs: string) => {
    const kv = await store.get(keys.vsStatus(ENGINE, vs));
    return kv ? (JSON.parse(kv.value) as VsStatus) : undefined;
  };
  const waitState = (vs: string, want: (s: VsStatus) => boolean, what: string) =>
    waitFor(async () => {
      const s = await status(vs);
      return s && want(s) ? s : undefined;
    }, { what, timeoutMs: 15_000 });
  return { base, store, agent, runtime, release, status, waitState, fetched };
}

function assignment(vs: string, sha256: string, extra: Partial<Assignment> = {}): Assignment {
  return {
    vs, engine: ENGINE, site: 'shop', customer: 'c1', kind: 'app', release: 'r1', sha256,
    command: TEST_APP_COMMAND, healthPath: '/', env: { GREETING: 'hi' }, domains: ['shop.example'], createdAt: new Date().toISOString(),
    ...extra,
  };
}

async function assign(store: Store, a: Assignment) {
  await store.put(keys.assignment(a.engine, a.vs), JSON.stringify(a));
}

test('registers the engine under a lease', async (t) => {
  const { store } = await farm(t);
  const kv = await store.get(keys.engine(ENGINE));
  assert.ok(kv && kv.lease > 0);
  const rec = JSON.parse(kv.value);
  assert.equal(rec.id, ENGINE);
  assert.equal(rec.runtime, 'process');
  assert.ok(rec.capacity.cpus > 0);
});

test('an assignment becomes a ready, reachable VS; deleting it stops the VS and removes its status', async (t) => {
  const { store, release, status, waitState } = await farm(t);
  const sha = await release('v1');
  await assign(store, assignment('shop-a1', sha));
  const ready = await waitState('shop-a1', (s) => s.state === 'ready', 'ready');
  assert.match(ready.address!, /^127\.77\./);
  assert.equal(ready.site, 'shop');
  assert.equal(ready.release, 'r1');
  assert.equal(ready.restarts, 0);
  const kv = await store.get(keys.vsStatus(ENGINE, 'shop-a1'));
  assert.ok(kv!.lease > 0, 'status lives under the engine lease');
  const res = await httpGet(ready.address!, ready.port!, '/', 'shop.example');
  assert.equal(JSON.parse(res.body).vs, 'shop-a1');

  await store.delete(keys.assignment(ENGINE, 'shop-a1'));
  await waitFor(async () => (await status('shop-a1')) === undefined, { what: 'status deleted' });
  assert.ok(!processAlive(ready.pid!));
});

test("an assignment's own start deadline (the site's startTimeoutMs) replaces the engine's", async (t) => {
  const { base, store, release, waitState } = await farm(t, { timing: { ...TIMING, startupTimeoutMs: 600_000 } });
  const failFile = path.join(base, 'never-healthy');
  await writeFile(failFile, '');
  await assign(store, assignment('shop-s1', await release('v1'), { env: { FAIL_HEALTH_FILE: failFile }, startTimeoutMs: 1_000 }));
  const stopped = await waitState('shop-s1', (s) => s.lastExit !== undefined, 'stopped for its deadline');
  assert.equal(stopped.lastExit?.startupTimeoutMs, 1_000, "the site's deadline, not the engine's 10 minutes");
});

test('a VS killed with SIGKILL is restarted and becomes ready again', async (t) => {
  const { store, release, waitState } = await farm(t);
  await assign(store, assignment('shop-b1', await release('v1')));
  const first = await waitState('shop-b1', (s) => s.state === 'ready', 'ready');
  process.kill(first.pid!, 'SIGKILL');
  const again = await waitState('shop-b1', (s) => s.state === 'ready' && s.restarts === 1, 'ready after restart');
  assert.notEqual(again.pid, first.pid);
  assert.deepEqual([again.lastExit?.code, again.lastExit?.signal], [null, 'SIGKILL']);
  assert.equal((await httpGet(again.address!, again.port!)).status, 200);
});

test('replicas of one release share one fetch and unpack', async (t) => {
  const { store, release, waitState, fetched } = await farm(t);
  const sha = await release('v1');
  await Promise.all(['shop-c1', 'shop-c2', 'shop-c3'].map((vs) => assign(store, assignment(vs, sha))));
  const ready = await Promise.all(['shop-c1', 'shop-c2', 'shop-c3'].map((vs) => waitState(vs, (s) => s.state === 'ready', vs)));
  assert.equal(new Set(ready.map((s) => `${s.address}:${s.port}`)).size, 3);
  assert.deepEqual(fetched, [sha]);
});

test('runs a static site through the web runtime', async (t) => {
  const { store, release, waitState } = await farm(t);
  const sha = await release('static1', { 'index.html': '<p>hello static</p>' }, false);
  await assign(store, assignment('site-s1', sha, { kind: 'static', command: undefined, site: 'site', domains: ['static.example'] }));
  const ready = await waitState('site-s1', (s) => s.state === 'ready', 'static ready');
  const res = await httpGet(ready.address!, ready.port!, '/', 'static.example');
  assert.equal(res.status, 200);
  assert.match(res.body, /hello static/);
});

test('a release that cannot be fetched is retried until it can', async (t) => {
  const { store, release, waitState, fetched } = await farm(t);
  const missing = 'a'.repeat(64);
  await assign(store, assignment('shop-d1', missing));
  await waitState('shop-d1', (s) => s.state === 'backoff', 'backoff');
  await waitFor(() => fetched.length >= 2, { what: 'retry' });
  await store.delete(keys.assignment(ENGINE, 'shop-d1'));
  await assign(store, assignment('shop-d2', await release('v1')));
  await waitState('shop-d2', (s) => s.state === 'ready', 'ready');
});

test('after losing its lease the engine registers again and rewrites its statuses', async (t) => {
  const { store, release, waitState } = await farm(t);
  await assign(store, assignment('shop-e1', await release('v1')));
  const ready = await waitState('shop-e1', (s) => s.state === 'ready', 'ready');
  const oldLease = (await store.get(keys.engine(ENGINE)))!.lease;
  await store.revokeLease(oldLease);
  assert.equal(await store.get(keys.vsStatus(ENGINE, 'shop-e1')), undefined);
  await waitFor(async () => {
    const kv = await store.get(keys.engine(ENGINE));
    return kv && kv.lease !== oldLease;
  }, { what: 'engine registered again' });
  const back = await waitState('shop-e1', (s) => s.state === 'ready', 'status rewritten');
  assert.equal(back.pid, ready.pid, 'the VS kept running');
  const kv = await store.get(keys.vsStatus(ENGINE, 'shop-e1'));
  assert.equal(kv!.lease, (await store.get(keys.engine(ENGINE)))!.lease);
});

test('close stops every VS gracefully, removes the statuses and the engine record', async (t) => {
  const { store, agent, release, waitState, base } = await farm(t);
  await assign(store, assignment('shop-f1', await release('v1')));
  const ready = await waitState('shop-f1', (s) => s.state === 'ready', 'ready');
  await agent.close();
  await agent.close();
  assert.ok(!processAlive(ready.pid!));
  assert.equal(await store.get(keys.vsStatus(ENGINE, 'shop-f1')), undefined);
  assert.equal(await store.get(keys.engine(ENGINE)), undefined);
  assert.match(await readFile(path.join(base, 'engine', 'logs', 'shop-f1.log'), 'utf8'), /got SIGTERM/);
  assert.deepEqual((await agent.logs.tail('shop-f1', 1)).map((l) => parseStamped(l).text), ['got SIGTERM']);
  assert.deepEqual((await agent.logs.listVsLogs('shop')).map((l) => l.vs), ['shop-f1']);
});

test('a changed assignment replaces the running VS', async (t) => {
  const { store, release, waitState } = await farm(t);
  const sha = await release('v1');
  await assign(store, assignment('shop-g1', sha));
  const first = await waitState('shop-g1', (s) => s.state === 'ready', 'ready');
  await assign(store, assignment('shop-g1', sha, { env: { GREETING: 'changed' } }));
  const second = await waitState('shop-g1', (s) => s.state === 'ready' && s.pid !== first.pid, 'replaced');
  assert.ok(!processAlive(first.pid!));
  assert.equal((await httpGet(second.address!, second.port!)).status, 200);
});

test('a deleted site leaves nothing on the engine once its VS stopped; its namesake starts with an empty data folder', async (t) => {
  const { base, store, release, waitState } = await farm(t);
  const engineDir = path.join(base, 'engine');
  const ls = async (rel: string) => (await readdir(path.join(engineDir, rel)).catch(() => [] as string[])).sort();
  const writeSecret = `echo secret > "$CORRAL_DATA_DIR/secret.txt"; ls "$CORRAL_DATA_DIR"; ${TEST_APP_COMMAND}`;
  const old: Site = { id: '0aaaa', name: 'shop', customer: 'c1', domains: [], kind: 'app', command: writeSecret, replicas: 1, healthPath: '/', env: {}, createdAt: '', updatedAt: '' };
  await store.put(keys.site('shop'), JSON.stringify(old));
  const shaOld = await release('old', { 'old.txt': 'v1' });
  await assign(store, assignment('shop-old', shaOld, { siteId: '0aaaa', command: writeSecret }));
  await waitState('shop-old', (s) => s.state === 'ready', 'old site ready');
  assert.equal(await readFile(path.join(engineDir, 'data', '0aaaa', 'secret.txt'), 'utf8'), 'secret\n', 'the data folder is keyed by the site id');

  // deleted (site record, then the reconciler's removal of its assignment), re-created by someone else
  await store.delete(keys.site('shop'));
  await store.delete(keys.assignment(ENGINE, 'shop-old'));
  await store.put(keys.site('shop'), JSON.stringify({ ...old, id: '0bbbb', customer: 'c2', command: TEST_APP_COMMAND }));
  const shaNew = await release('new', { 'new.txt': 'v1' });
  await assign(store, assignment('shop-new', shaNew, { siteId: '0bbbb', customer: 'c2', command: `ls -A "$CORRAL_DATA_DIR"; echo listed; ${TEST_APP_COMMAND}` }));
  await waitState('shop-new', (s) => s.state === 'ready', 'new site ready');

  await waitFor(async () => !(await ls('data')).includes('0aaaa') && !(await ls('releases')).includes(shaOld) && !(await ls('logs')).some((f) => f.startsWith('shop-old')), { what: 'the old site swept', timeoutMs: 15_000 });
  assert.deepEqual(await ls('data'), ['0bbbb']);
  assert.deepEqual(await readdir(path.join(engineDir, 'data', '0bbbb')), [], 'the namesake sees an empty data folder');
  assert.deepEqual(await ls('releases'), [shaNew]);
  const newLog = await readVsLog(path.join(engineDir, 'logs', 'shop-new.log'));
  assert.match(newLog, /^listed$/m);
  assert.doesNotMatch(newLog, /secret/, 'its guest listed nothing of the old site');
});
