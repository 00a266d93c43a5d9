// A pool assignment on a real agent (process runtime): one web runtime serving several
// sites of a customer, its table changed in place — no restart, no failed request.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { pino } from 'pino';
import { logger, silentLogger } from '../lib/log.ts';
import { packDirectory } from '../lib/tarball.ts';
import { waitFor } from '../lib/wait.ts';
import { keys, type Assignment, type PoolSite, type Release, type Site, type VsStatus } from '../model/index.ts';
import { openSqliteStore } from '../store/sqlite-store.ts';
import { buildEngineAgent, type EngineAgentOptions } from './agent.ts';
import { linkRelease, poolPath, tableVersion } from './pool-dir.ts';
import { POOL_CAP_MB, poolMemoryBytes } from './pool-unit.ts';
import { createProcessRuntime } from './process-runtime.ts';
import { createNamespaceRuntime } from './namespace-runtime.ts';
import { namespaceSkip, testNetwork } from './namespace/testing.ts';
import { httpGet, onCleanup, tempDir } from './testing.ts';

const ENGINE = 'engine-1';
const TIMING = { startupPollMs: 20, pollMs: 100, backoffBaseMs: 20, backoffMaxMs: 200 };
const DRAIN_MS = 300;

const nsSkip = await namespaceSkip();

async function farm(t: TestContext, kind: 'process' | 'namespace' = 'process', more: Partial<EngineAgentOptions> = {}) {
  const links: string[] = [];
  const base = await tempDir(t);
  const store = await openSqliteStore(path.join(base, 'store.db'), { leaseCheckIntervalMs: 50 });
  onCleanup(t, () => store.close());
  const blobs = new Map<string, string>();
  const runDir = path.join(base, 'engine', 'run');
  const runtime = kind === 'process' ? createProcessRuntime({ runDir, log: silentLogger }) : createNamespaceRuntime({ runDir, log: silentLogger, ...(await testNetwork(t)) });
  onCleanup(t, () => runtime.destroy());
  const dir = path.join(base, 'engine');
  const makeAgent = () => buildEngineAgent({
    store, engineId: ENGINE, dir, runtime, log: process.env.DEBUG_POOL ? logger("engine") : silentLogger, leaseTtlSeconds: 1, stopGraceMs: 2_000, timing: TIMING, poolDrainMs: DRAIN_MS,
    poolLink: async (poolDir, sha, releaseDir) => {
      links.push(sha);
      await linkRelease(poolDir, sha, releaseDir);
    },
    fetchBlob: async (sha) => {
      const file = blobs.get(sha);
      if (!file) throw new Error(`no blob ${sha}`);
      return file;
    },
    ...more,
  });
  const agent = makeAgent();
  onCleanup(t, () => agent.destroy());
  await agent.start();
  /** A static release whose index.html says `body`; returns its sha256. */
  const release = async (name: string, body: string) => {
    const src = path.join(base, 'src', name);
    await mkdir(src, { recursive: true });
    await writeFile(path.join(src, 'index.html'), body);
    const out = path.join(base, `${name}.tar.gz`);
    await packDirectory(src, out);
    const sha = createHash('sha256').update(await readFile(out)).digest('hex');
    blobs.set(sha, out);
    return sha;
  };
  const status = async (vs: string) => {
    const kv = await store.get(keys.vsStatus(ENGINE, vs));
    return kv ? (JSON.parse(kv.value) as VsStatus) : undefined;
  };
  const waitStatus = (vs: string, want: (s: VsStatus) => boolean, what: string) =>
    waitFor(async () => {
      const s = await status(vs);
      return s && want(s) ? s : undefined;
    }, { what, timeoutMs: 20_000 });
  const assign = (a: Assignment) => store.put(keys.assignment(a.engine, a.vs), JSON.stringify(a));
  return { dir, store, runtime, release, status, waitStatus, assign, links, agent, makeAgent };
}

function pool(vs: string, sites: PoolSite[]): Assignment {
  return {
    vs, engine: ENGINE, site: 'pool', siteId: 'pool-c1', customer: 'c1', kind: 'static', release: 'pool', sha256: '0'.repeat(64),
    healthPath: '/', env: {}, domains: [], createdAt: '2026-01-01T00:00:00.000Z', pool: { sites },
  };
}

const entry = (site: string, release: string, sha256: string): PoolSite => ({ site: `site-${site}`, release, sha256, domains: [`${site}.test`] });
const sameSites = (want: Record<string, string>) => (s: VsStatus) => s.state === 'ready' && JSON.stringify(s.sites) === JSON.stringify(want);

test('one pool VS serves several sites; its table changes in place: a site re-deployed, one removed, one added', async (t) => {
  const f = await farm(t, 'process', { poolKeepMs: DRAIN_MS });
  const [a1, a2, b1, c1] = [await f.release('a1', 'a one'), await f.release('a2', 'a two'), await f.release('b1', 'b'), await f.release('c1', 'c')];
  await f.assign(pool('pool-c1-1', [entry('a', 'v1', a1), entry('b', 'v1', b1)]));
  const first = await f.waitStatus('pool-c1-1', sameSites({ 'site-a': 'v1', 'site-b': 'v1' }), 'the pool serving a and b');
  const at = (site: string) => httpGet(first.address!, first.port!, '/', `${site}.test`);
  assert.equal((await at('a')).body, 'a one');
  assert.equal((await at('b')).body, 'b');
  assert.equal((await at('c')).status, 404);

  // the guest's directory holds its table and its own releases' copies, nothing else
  const dir = poolPath(f.dir, 'pool-c1-1');
  assert.deepEqual((await readdir(dir)).sort(), [a1, b1, 'table.json'].sort());

  let stop = false;
  const answers: string[] = [];
  const loop = (async () => {
    while (!stop) {
      const res = await at('a');
      answers.push(`${res.status} ${res.body}`);
    }
  })();
  await waitFor(() => answers.length >= 5, { what: 'requests before the change' });
  await f.assign(pool('pool-c1-1', [entry('a', 'v2', a2), entry('c', 'v1', c1)]));
  const second = await f.waitStatus('pool-c1-1', sameSites({ 'site-a': 'v2', 'site-c': 'v1' }), 'the pool serving a v2 and c');
  const n = answers.length;
  await waitFor(() => answers.length >= n + 5, { what: 'requests after the change' });
  stop = true;
  await loop;

  assert.equal(second.pid, first.pid, 'not restarted');
  assert.equal(second.restarts, 0);
  assert.deepEqual(new Set(answers), new Set(['200 a one', '200 a two']), 'every request answered by one release or the other');
  assert.equal((await at('c')).body, 'c');
  assert.equal((await at('b')).status, 404);
  // the copies no longer in the table go after the drain
  await waitFor(async () => (await readdir(dir)).sort().join() === [a2, c1, 'table.json'].sort().join(), { what: 'old copies removed' });

  // unassigned: the VS stops, its status and directory go
  await f.store.delete(keys.assignment(ENGINE, 'pool-c1-1'));
  await waitFor(async () => (await f.status('pool-c1-1')) === undefined, { what: 'status removed' });
  await waitFor(async () => (await readdir(dir).catch(() => undefined)) === undefined, { what: 'pool directory removed' });
});

test("a site's spa switched on in the pool's table: that site alone gets /index.html for a page path, the pool not restarted", async (t) => {
  const f = await farm(t);
  const [a1, b1] = [await f.release('a1', 'a one'), await f.release('b1', 'b')];
  await f.assign(pool('pool-c1-1', [entry('a', 'v1', a1), entry('b', 'v1', b1)]));
  const first = await f.waitStatus('pool-c1-1', sameSites({ 'site-a': 'v1', 'site-b': 'v1' }), 'the pool serving a and b');
  const deep = (site: string) => httpGet(first.address!, first.port!, '/deep/route', `${site}.test`);
  assert.equal((await deep('a')).status, 404);
  await f.assign(pool('pool-c1-1', [{ ...entry('a', 'v1', a1), spa: true }, entry('b', 'v1', b1)]));
  await waitFor(async () => (await deep('a')).status === 200, { what: 'site a answering a page path with its index.html', timeoutMs: 20_000 });
  assert.equal((await deep('a')).body, 'a one');
  assert.equal((await deep('b')).status, 404, 'the other site of the pool is unaffected');
  const now = await f.status('pool-c1-1');
  assert.equal(now?.pid, first.pid, 'not restarted');
  assert.equal(now?.restarts, 0);
});

test('a site whose release cannot be fetched is left out; the others are served', async (t) => {
  const f = await farm(t);
  const a1 = await f.release('a1', 'a one');
  await f.assign(pool('pool-c1-2', [entry('a', 'v1', a1), entry('b', 'v1', 'f'.repeat(64))]));
  const s = await f.waitStatus('pool-c1-2', sameSites({ 'site-a': 'v1' }), 'the pool serving a only');
  assert.equal((await httpGet(s.address!, s.port!, '/', 'a.test')).body, 'a one');
});

test('a pool of 50 sites given one more links only the new release; the new site answers at once', async (t) => {
  const f = await farm(t);
  const sites: PoolSite[] = [];
  for (let i = 0; i < 50; i++) sites.push(entry(`s${i}`, 'v1', await f.release(`s${i}`, `site ${i}`)));
  await f.assign(pool('pool-c1-4', sites));
  const want = Object.fromEntries(sites.map((e) => [e.site, 'v1']));
  const first = await f.waitStatus('pool-c1-4', sameSites(want), 'the pool serving 50 sites');
  assert.equal(f.links.length, 50, 'each release linked once');
  const dir = poolPath(f.dir, 'pool-c1-4');
  const inodes = async () => Promise.all(sites.map(async (e) => (await stat(path.join(dir, e.sha256))).ino));
  const before = await inodes();
  const version = await tableVersion(dir);

  const extra = entry('new', 'v1', await f.release('new', 'new site'));
  const t0 = performance.now();
  await f.assign(pool('pool-c1-4', [...sites, extra]));
  const second = await f.waitStatus('pool-c1-4', sameSites({ ...want, 'site-new': 'v1' }), 'the pool serving 51 sites');
  const ms = performance.now() - t0;
  assert.equal((await httpGet(second.address!, second.port!, '/', 'new.test')).body, 'new site');
  assert.deepEqual(f.links.slice(50), [extra.sha256], 'only the new release linked');
  assert.deepEqual(await inodes(), before, 'the other copies untouched');
  assert.equal(await tableVersion(dir), version + 1, 'one table written for the change');
  assert.equal(second.pid, first.pid, 'not restarted');
  assert.ok(ms < 5_000, `the new site served after ${Math.round(ms)} ms`);
});

/**
 * A farm whose pool links hold the release set as `slow` until `open()` (then run `after`, if
 * given, before linking), logging to `records`; `changes(vs)` counts the updates handed to a pool.
 */
async function gatedFarm(t: TestContext, after?: (releaseDir: string) => Promise<void>) {
  const records: Array<Record<string, unknown>> = [];
  const log = pino({ level: 'info' }, { write: (line: string) => void records.push(JSON.parse(line) as Record<string, unknown>) });
  const gated = { slow: '', blocked: false, open: (): void => undefined };
  const gate = new Promise<void>((resolve) => (gated.open = resolve));
  const f = await farm(t, 'process', {
    log,
    poolLink: async (poolDir, sha, releaseDir) => {
      if (sha === gated.slow) {
        gated.blocked = true;
        await gate;
        await after?.(releaseDir);
      }
      await linkRelease(poolDir, sha, releaseDir);
    },
  });
  const changes = (vs: string) => records.filter((r) => r.event === 'vs.pool_changed' && r.vs === vs).length;
  return { f, records, gated, changes };
}

test('changes arriving while a batch links are coalesced: one table for all of them, the latest wins', async (t) => {
  const { f, gated, changes } = await gatedFarm(t);
  const s: PoolSite[] = [];
  for (let i = 0; i < 5; i++) s.push(entry(`s${i}`, 'v1', await f.release(`s${i}`, `site ${i}`)));
  await f.assign(pool('pool-c1-6', [s[0]!]));
  await f.waitStatus('pool-c1-6', sameSites({ 'site-s0': 'v1' }), 'the pool serving s0');
  const dir = poolPath(f.dir, 'pool-c1-6');

  gated.slow = s[1]!.sha256;
  await f.assign(pool('pool-c1-6', [s[0]!, s[1]!]));
  await waitFor(() => gated.blocked, { what: "s1's link under way" });
  const version = await tableVersion(dir);
  const later = [[s[0]!, s[1]!, s[2]!], [s[0]!, s[1]!, s[2]!, s[3]!], [s[0]!, s[2]!, s[3]!, s[4]!]];
  for (const sites of later) {
    const n = changes('pool-c1-6');
    await f.assign(pool('pool-c1-6', sites));
    await waitFor(() => changes('pool-c1-6') > n, { what: 'the change handed to the pool' });
  }
  gated.open();
  await f.waitStatus('pool-c1-6', sameSites({ 'site-s0': 'v1', 'site-s2': 'v1', 'site-s3': 'v1', 'site-s4': 'v1' }), 'the latest sites served');
  assert.equal(await tableVersion(dir), version + 2, 'the batch under way, then one table for the three changes made meanwhile');
});

test('a site that leaves the pool while its release is being linked is not retried, even if its unpacked release went meanwhile', async (t) => {
  // once let go, the link finds its unpacked release gone: what the disk janitor does to a release no assignment names
  const { f, records, gated, changes } = await gatedFarm(t, (releaseDir) => rm(releaseDir, { recursive: true, force: true }));
  const [a, b] = [entry('a', 'v1', await f.release('a', 'a')), entry('b', 'v1', await f.release('b', 'b'))];
  await f.assign(pool('pool-c1-7', [a]));
  await f.waitStatus('pool-c1-7', sameSites({ 'site-a': 'v1' }), 'the pool serving a');
  const dir = poolPath(f.dir, 'pool-c1-7');
  const version = await tableVersion(dir);
  gated.slow = b.sha256;
  await f.assign(pool('pool-c1-7', [a, b]));
  await waitFor(() => gated.blocked, { what: "b's link under way" });
  const n = changes('pool-c1-7');
  await f.assign(pool('pool-c1-7', [a]));
  await waitFor(() => changes('pool-c1-7') > n, { what: "b's removal handed to the pool" });
  gated.open();
  await waitFor(async () => (await tableVersion(dir)) >= version + 2, { what: 'the two tables written' });
  await f.waitStatus('pool-c1-7', sameSites({ 'site-a': 'v1' }), 'the pool serving a only');
  assert.ok(records.some((r) => r.event === 'vs.pool_link_dropped' && r.sha256 === b.sha256), 'the dropped link is logged');
  assert.deepEqual(records.filter((r) => r.event === 'vs.release_failed'), [], 'no failure for a site no longer in the pool');
  assert.equal(await tableVersion(dir), version + 2, 'no retry: the batch under way, then the latest');
});

test('a copy out of the table is kept for its site coming back; a sweep drops it once no site in the store may come back with it', async (t) => {
  const f = await farm(t, 'process', { sweepIntervalMs: 100 });
  const [a1, b1, c1] = [await f.release('a1', 'a'), await f.release('b1', 'b'), await f.release('c1', 'c')];
  // site-b is in the store with b1 as its release (scaled to zero, it may be woken); site-c is gone
  const site: Site = { name: 'site-b', customer: 'c1', domains: ['b.test'], kind: 'static', replicas: 0, healthPath: '/', env: {}, release: 'v1', createdAt: '', updatedAt: '' };
  const rel: Release = { id: 'v1', site: 'site-b', number: 1, sha256: b1, size: 1, files: 1, unpackedBytes: 1, createdAt: '' };
  await f.store.put(keys.site(site.name), JSON.stringify(site));
  await f.store.put(keys.release(rel.site, rel.id), JSON.stringify(rel));
  await f.assign(pool('pool-c1-5', [entry('a', 'v1', a1), entry('b', 'v1', b1), entry('c', 'v1', c1)]));
  await f.waitStatus('pool-c1-5', sameSites({ 'site-a': 'v1', 'site-b': 'v1', 'site-c': 'v1' }), 'the pool serving a, b and c');
  const dir = poolPath(f.dir, 'pool-c1-5');
  const bIno = (await stat(path.join(dir, b1))).ino;

  await f.assign(pool('pool-c1-5', [entry('a', 'v1', a1)]));
  await f.waitStatus('pool-c1-5', sameSites({ 'site-a': 'v1' }), 'the pool serving a only');
  await waitFor(async () => !(await readdir(dir)).includes(c1), { what: "site-c's copy dropped by a sweep after the drain" });
  assert.ok((await readdir(dir)).includes(b1), "site-b's copy kept");

  const n = f.links.length;
  await f.assign(pool('pool-c1-5', [entry('a', 'v1', a1), entry('b', 'v1', b1)]));
  const back = await f.waitStatus('pool-c1-5', sameSites({ 'site-a': 'v1', 'site-b': 'v1' }), 'site-b back');
  assert.equal(f.links.length, n, 'site-b back without a link');
  assert.equal((await stat(path.join(dir, b1))).ino, bIno, 'the same copy');
  assert.equal((await httpGet(back.address!, back.port!, '/', 'b.test')).body, 'b');
});

test("a pool's new table is reported while its memory limit is still being changed", async (t) => {
  // a runtime whose limit changes hang until let go (a busy cgroup filesystem): the report of
  // the new table, which the controller routes by, must not wait for them
  let letGo!: () => void;
  const held = new Promise<void>((resolve) => (letGo = resolve));
  t.after(() => letGo());
  const limits: number[] = [];
  const runtime = createProcessRuntime({ runDir: path.join(await tempDir(t), 'run'), log: silentLogger });
  onCleanup(t, () => runtime.destroy());
  const f = await farm(t, 'process', { runtime: { ...runtime, setMemoryLimit: async (_vs, bytes) => { limits.push(bytes); await held; } } });
  const [a1, b1] = [await f.release('a1', 'a'), await f.release('b1', 'b')];
  await f.assign(pool('pool-c1-1', [entry('a', 'v1', a1)]));
  await f.waitStatus('pool-c1-1', sameSites({ 'site-a': 'v1' }), 'the pool serving a');
  await f.assign(pool('pool-c1-1', [entry('a', 'v1', a1), entry('b', 'v1', b1)]));
  const s = await f.waitStatus('pool-c1-1', sameSites({ 'site-a': 'v1', 'site-b': 'v1' }), 'the pool reporting b while its limit change hangs');
  assert.deepEqual(limits, [poolMemoryBytes(2)], 'the limit change was asked, and is still pending');
  assert.equal((await httpGet(s.address!, s.port!, '/', 'b.test')).body, 'b');
});

test('a table torn by a power loss is replaced: the pool writes a fresh one before its VS starts, and serves its sites', async (t) => {
  // (the table is renamed into place without an fsync, pool-dir.ts writeTable)
  const f = await farm(t);
  const a1 = await f.release('a1', 'a');
  const dir = poolPath(f.dir, 'pool-c1-1');
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'table.json'), '{"version": 7, "sites": [{"site": "site-x", "rel');
  await f.assign(pool('pool-c1-1', [entry('a', 'v1', a1)]));
  const s = await f.waitStatus('pool-c1-1', sameSites({ 'site-a': 'v1' }), 'the pool serving a');
  assert.equal((await httpGet(s.address!, s.port!, '/', 'a.test')).body, 'a');
  const table = JSON.parse(await readFile(path.join(dir, 'table.json'), 'utf8')) as { version: number; sites: { site: string }[] };
  assert.deepEqual(table.sites.map((e) => e.site), ['site-a']);
});

test('a site leaving the table leaves the status first; back in it, it is shown only once the runtime confirms a table with it', async (t) => {
  // the runtime frozen (SIGSTOP) cannot confirm any table: what the status shows then is what
  // the engine reports ahead of the runtime, and the controller routes by it at once
  const f = await farm(t, 'process', { poolKeepMs: 60_000 });
  const [a1, b1] = [await f.release('a1', 'a'), await f.release('b1', 'b')];
  await f.assign(pool('pool-c1-8', [entry('a', 'v1', a1), entry('b', 'v1', b1)]));
  const first = await f.waitStatus('pool-c1-8', sameSites({ 'site-a': 'v1', 'site-b': 'v1' }), 'the pool serving a and b');
  const dir = poolPath(f.dir, 'pool-c1-8');
  const tableSites = async () => ((JSON.parse(await readFile(path.join(dir, 'table.json'), 'utf8')) as { sites: { site: string }[] }).sites.map((e) => e.site).sort().join());
  process.kill(-first.pid!, 'SIGSTOP');
  const thaw = () => void (() => { try { process.kill(-first.pid!, 'SIGCONT'); } catch { /* gone */ } })();
  t.after(thaw);

  // scaled to zero: out of the status although the runtime never confirmed the table without it
  await f.assign(pool('pool-c1-8', [entry('b', 'v1', b1)]));
  await waitFor(async () => (await tableSites()) === 'site-b', { what: 'the table without site-a written' });
  await waitFor(async () => JSON.stringify((await f.status('pool-c1-8'))?.sites) === JSON.stringify({ 'site-b': 'v1' }), { what: 'site-a out of the status', timeoutMs: 5_000 });

  // woken: back in the table, not in the status while the runtime may still serve the table without it
  const version = await tableVersion(dir);
  await f.assign(pool('pool-c1-8', [entry('a', 'v1', a1), entry('b', 'v1', b1)]));
  await waitFor(async () => (await tableVersion(dir)) > version && (await tableSites()) === 'site-a,site-b', { what: 'the table with site-a again written' });
  assert.deepEqual((await f.status('pool-c1-8'))?.sites, { 'site-b': 'v1' }, 'site-a not shown before the runtime confirms it');

  thaw();
  const back = await f.waitStatus('pool-c1-8', (s) => s.sites?.['site-a'] === 'v1', 'site-a shown again once confirmed');
  assert.equal((await httpGet(back.address!, back.port!, '/', 'a.test')).body, 'a', 'shown, and served');
  assert.equal(back.pid, first.pid, 'not restarted');
});

test("the engine's stop leaves a pool's copies on disk; its next start serves them without linking them again", async (t) => {
  const f = await farm(t);
  const [a1, b1] = [await f.release('a1', 'a'), await f.release('b1', 'b')];
  await f.assign(pool('pool-c1-9', [entry('a', 'v1', a1), entry('b', 'v1', b1)]));
  await f.waitStatus('pool-c1-9', sameSites({ 'site-a': 'v1', 'site-b': 'v1' }), 'the pool serving a and b');
  assert.equal(f.links.length, 2);
  const dir = poolPath(f.dir, 'pool-c1-9');
  await f.agent.close();
  assert.deepEqual((await readdir(dir)).sort(), [a1, b1, 'table.json'].sort(), 'the copies and the table stay');
  const next = f.makeAgent();
  onCleanup(t, () => next.destroy());
  await next.start();
  const back = await f.waitStatus('pool-c1-9', sameSites({ 'site-a': 'v1', 'site-b': 'v1' }), 'the pool serving a and b again');
  assert.equal((await httpGet(back.address!, back.port!, '/', 'b.test')).body, 'b');
  assert.equal(f.links.length, 2, 'nothing linked again');
  // the assignment gone: its directory goes with the VS
  await f.store.delete(keys.assignment(ENGINE, 'pool-c1-9'));
  await waitFor(async () => (await readdir(dir).catch(() => undefined)) === undefined, { what: 'pool directory removed with its assignment' });
});

test('the memory limit grows with the sites, up to the cap', () => {
  assert.equal(poolMemoryBytes(1), 129 * 2 ** 20);
  assert.equal(poolMemoryBytes(100), 228 * 2 ** 20);
  assert.equal(poolMemoryBytes(100_000), POOL_CAP_MB * 2 ** 20);
});

test('namespace runtime: the guest sees its pool directory only, read-only; new sites appear without a restart; the memory limit follows', { skip: nsSkip }, async (t) => {
  const f = await farm(t, 'namespace');
  const [a1, b1] = [await f.release('a1', 'a one'), await f.release('b1', 'b')];
  await f.assign(pool('pool-c1-3', [entry('a', 'v1', a1)]));
  const first = await f.waitStatus('pool-c1-3', sameSites({ 'site-a': 'v1' }), 'the pool serving a');
  assert.equal((await httpGet(first.address!, first.port!, '/', 'a.test')).body, 'a one');
  const exec = async (cmd: string) => (await f.runtime.exec!('pool-c1-3', ['/bin/sh', '-c', cmd])).stdout.trim();
  assert.equal(await exec('ls /srv/release'), [a1, 'table.json'].sort().join('\n'));
  assert.equal(await exec('touch /srv/release/x 2>/dev/null && echo writable || echo read-only'), 'read-only');
  assert.equal(await exec(`ls ${JSON.stringify(path.join(f.dir, 'releases'))} 2>/dev/null || echo hidden`), 'hidden');

  await f.assign(pool('pool-c1-3', [entry('a', 'v1', a1), entry('b', 'v1', b1)]));
  const second = await f.waitStatus('pool-c1-3', sameSites({ 'site-a': 'v1', 'site-b': 'v1' }), 'the pool serving a and b');
  assert.equal(second.pid, first.pid, 'not restarted');
  assert.equal((await httpGet(second.address!, second.port!, '/', 'b.test')).body, 'b');
  await waitFor(async () => (await f.runtime.inspect!('pool-c1-3'))?.limits?.memoryBytes === poolMemoryBytes(2), { what: 'the memory limit raised' });
});
