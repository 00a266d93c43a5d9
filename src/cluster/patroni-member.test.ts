// One Patroni member on its own (real etcd, Patroni, Postgres as the postgres user): an
// engine that crashed and starts again takes over the Patroni it left running — same
// process, the same leader, no failover — and a Patroni killed on its own is started again
// and keeps its Postgres and its leadership.

import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { silentLogger } from '../lib/log.ts';
import { waitFor } from '../lib/wait.ts';
import { openEtcdStore, type Store } from '../store/index.ts';
import { startEtcdCluster, type EtcdCluster } from '../store/etcd-testing.ts';
import { patroniKeys } from './db-primary.ts';
import { dbClusterMissing } from './db-testing.ts';
import { freePorts } from '../lib/free-ports.ts';
import { startPatroniMember, type PatroniMember, type PatroniMemberOptions } from './patroni-member.ts';

const skip = dbClusterMissing();
let etcd: EtcdCluster;
let store: Store;
let root = '';
let opts: PatroniMemberOptions;
const members: PatroniMember[] = [];

before(async () => {
  if (skip) return;
  root = mkdtempSync(join(tmpdir(), 'corral-member-'));
  chmodSync(root, 0o755);
  etcd = await startEtcdCluster({ members: 1 });
  store = await openEtcdStore(etcd.endpoints, { namespace: '/t' });
  const [pgPort, apiPort] = await freePorts(2);
  opts = {
    name: 'm1', etcd: { endpoints: etcd.endpoints, namespace: '/t' }, address: '127.0.0.1', pgPort: pgPort!, apiPort: apiPort!,
    dir: join(root, 'm1', 'patroni'), secrets: { superuser: 's', replication: 'r', rewind: 'w', restapi: 'a' }, log: silentLogger,
  };
});

after(async () => {
  for (const m of members) await m.close().catch(() => {});
  await store?.close();
  await etcd?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

const leader = async () => (await store.get(patroniKeys.leader))?.value;
const postmaster = () => Number(readFileSync(join(opts.dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);

it('an engine started again takes over its running Patroni: same process, same leader, no failover', { skip, timeout: 180_000 }, async () => {
  const first = await startPatroniMember(opts);
  members.push(first);
  await waitFor(async () => (await leader()) === 'm1', { what: 'm1 the leader', timeoutMs: 120_000, intervalMs: 200 });
  const pid = first.pid();
  const pg = postmaster();
  const leaderRevision = (await store.get(patroniKeys.leader))!.createRevision;
  first.abandon(); // the engine crashed; Patroni and Postgres run on
  const second = await startPatroniMember(opts);
  members.push(second);
  assert.equal(second.pid(), pid, 'the running Patroni taken over, not a second one');
  assert.equal(postmaster(), pg);
  assert.equal((await store.get(patroniKeys.leader))!.createRevision, leaderRevision, 'the same leader key: no failover');
});

it('a Patroni killed on its own is started again, and its member keeps Postgres and the leadership', { skip, timeout: 120_000 }, async () => {
  const member = members.at(-1)!;
  const pid = member.pid()!;
  const pg = postmaster();
  process.kill(pid, 'SIGKILL');
  const again = await waitFor(() => (member.pid() !== undefined && member.pid() !== pid ? member.pid() : undefined), { what: 'Patroni started again', timeoutMs: 20_000, intervalMs: 100 });
  assert.notEqual(again, pid);
  await waitFor(async () => (await leader()) === 'm1', { what: 'm1 still the leader', timeoutMs: 30_000, intervalMs: 200 });
  assert.equal(postmaster(), pg, 'the same Postgres');
});
