// What an engine reports, as the controller's farm events record it, on both stores: a
// real agent running one VS (process runtime, the test app) whose VS statuses share its
// lease. close() (Ctrl-C, SIGTERM, `corral engine` shutting down) is `engine.stopped`;
// destroy() (a crash, kill -9: the lease left to expire, taking the statuses with it in
// the same revision) is `engine.lost` with result error — not a benign "stopped" because
// no status was left to count. A VS failing its health checks is `vs.unhealthy`, then
// `vs.recovered`. Skipped on etcd where it is not installed.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { createEventLog, type EventLog } from '../controller/event-log.ts';
import { watchFarmEvents } from '../controller/farm-events.ts';
import { buildEngineAgent, createProcessRuntime } from '../engine/index.ts';
import { onCleanup, tempDir, TEST_APP_COMMAND, writeTestRelease } from '../engine/testing.ts';
import { silentLogger } from '../lib/log.ts';
import { packDirectory } from '../lib/tarball.ts';
import { waitFor } from '../lib/wait.ts';
import { keys, type Assignment, type FarmEvent, type VsStatus } from '../model/index.ts';
import { openEtcdStore } from '../store/etcd-store.ts';
import { etcdMissing, startEtcdCluster, type EtcdCluster } from '../store/etcd-testing.ts';
import { openSqliteStore } from '../store/sqlite-store.ts';
import type { Store } from '../store/types.ts';

const TIMING = { startupPollMs: 20, pollMs: 100, backoffBaseMs: 20, backoffMaxMs: 200 };

function engineEndCases(open: (t: TestContext) => Promise<Store>): void {
  it('an engine that crashes (its lease expires, its VS statuses with it) is engine.lost, an error', async (t) => {
    const { store, events, engine } = await watched(t, open);
    const agent = await engine('e1');
    await agent.destroy();
    const lost = await endOf(events, 'e1', 15_000);
    assert.equal(lost.action, 'engine.lost', lost.message);
    assert.equal(lost.result, 'error');
    assert.match(lost.message ?? '', /^engine e1 lost: .* with 1 virtual servers$/);
    assert.equal((await store.range(keys.engineVsStatuses('e1'))).kvs.length, 0, 'the statuses went with the lease');
  });

  it('an engine that stops gracefully is engine.stopped', async (t) => {
    const { events, engine } = await watched(t, open);
    const agent = await engine('e2');
    await agent.close();
    const stopped = await endOf(events, 'e2', 5_000);
    assert.equal(stopped.action, 'engine.stopped', stopped.message);
    assert.equal(stopped.result, undefined);
  });

  it('a VS failing its health checks is vs.unhealthy, and vs.recovered once they pass again', async (t) => {
    const { events, engine, base } = await watched(t, open);
    const failing = path.join(base, 'fail-health');
    await engine('e3', { FAIL_HEALTH_FILE: failing });
    await writeFile(failing, '');
    const turns = (n: number) => waitFor(async () => {
      const e = (await events.list({}, { type: 'farm' })).filter((x) => x.vs === 'shop-e3');
      return e.length >= n ? e.reverse() : undefined;
    }, { timeoutMs: 15_000, what: `${n} health events of shop-e3` });
    await turns(1);
    await rm(failing);
    const [unhealthy, recovered] = await turns(2);
    assert.deepEqual([unhealthy!.action, recovered!.action], ['vs.unhealthy', 'vs.recovered']);
    assert.deepEqual([unhealthy!.customer, unhealthy!.site, unhealthy!.result], ['c1', 'shop', 'error']);
  });
}

describe('an engine and its VSs as farm events, SQLite', () => {
  engineEndCases(async (t) => {
    const store = await openSqliteStore(path.join(await tempDir(t, 'corral-engine-events-'), 'store.db'), { leaseCheckIntervalMs: 50 });
    onCleanup(t, () => store.close());
    return store;
  });
});

const skip = etcdMissing();
describe('an engine and its VSs as farm events, etcd', { skip }, () => {
  let etcd: EtcdCluster | undefined;
  let n = 0;
  before(async () => {
    etcd = await startEtcdCluster({ members: 1 });
  });
  after(() => etcd?.close());
  engineEndCases(async (t) => {
    const store = await openEtcdStore(etcd!.endpoints, { namespace: `/engine-events-${++n}` });
    onCleanup(t, () => store.close());
    return store;
  });
});

/** A store watched by the farm events, and engines on it each running one ready VS. */
async function watched(t: TestContext, open: (t: TestContext) => Promise<Store>) {
  const store = await open(t);
  const events = createEventLog(store);
  const w = await watchFarmEvents(store, events, silentLogger);
  onCleanup(t, () => w.close());
  const base = await tempDir(t, 'corral-engine-events-');
  const src = await writeTestRelease(path.join(base, 'src'));
  const tarball = path.join(base, 'release.tar.gz');
  await packDirectory(src, tarball);
  const sha256 = createHash('sha256').update(await readFile(tarball)).digest('hex');

  const engine = async (id: string, env: Record<string, string> = {}) => {
    const runtime = createProcessRuntime({ runDir: path.join(base, id, 'run'), log: silentLogger });
    onCleanup(t, () => runtime.destroy());
    const agent = buildEngineAgent({
      store, engineId: id, dir: path.join(base, id), runtime, log: silentLogger, leaseTtlSeconds: 1, stopGraceMs: 2_000, timing: TIMING,
      fetchBlob: async () => tarball,
    });
    onCleanup(t, () => agent.destroy());
    await agent.start();
    const a: Assignment = {
      vs: `shop-${id}`, engine: id, site: 'shop', customer: 'c1', kind: 'app', release: 'r1', sha256,
      command: TEST_APP_COMMAND, healthPath: '/', env, domains: ['shop.example'], createdAt: new Date().toISOString(),
    };
    await store.put(keys.assignment(id, a.vs), JSON.stringify(a));
    await waitFor(async () => {
      const kv = await store.get(keys.vsStatus(id, a.vs));
      return kv !== undefined && (JSON.parse(kv.value) as VsStatus).state === 'ready';
    }, { timeoutMs: 15_000, what: `${a.vs} ready` });
    return agent;
  };
  return { store, events, engine, base };
}

/** The engine's engine.stopped or engine.lost event. */
function endOf(events: EventLog, id: string, timeoutMs: number): Promise<FarmEvent> {
  return waitFor(async () => (await events.list({}, { type: 'farm' })).find((e) => e.engine === id && (e.action === 'engine.stopped' || e.action === 'engine.lost')), { timeoutMs, what: `engine ${id}'s end` });
}
