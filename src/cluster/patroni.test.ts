// The farm's database cluster under Patroni, with real processes: etcd, a controller, two
// engines each running a Patroni member (Postgres as the postgres user). A write loop runs
// through the standby engine's forwarder; the primary's engine is killed (Patroni and
// Postgres, SIGKILL). Every acknowledged write must be on the new primary, and the same
// forwarder must carry writes to it.

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '../lib/wait.ts';
import { dbClusterMissing, memberUrl, query, startDbFarm, startWriteLoop, syncState, waitForReplicatedCluster, type DbFarm, type WriteLoop } from './db-testing.ts';

const skip = dbClusterMissing();

describe('the database cluster under Patroni', { skip, timeout: 400_000 }, () => {
  let farm: DbFarm;
  let firstLoop: WriteLoop;
  let victimId = '';

  before(async () => {
    farm = await startDbFarm();
    await waitForReplicatedCluster(farm);
  });

  after(async () => {
    await farm?.close();
  });

  it('runs a primary and a synchronous standby on two engines, as the postgres user, never root', async () => {
    await farm.controller.db.ready();
    assert.ok(existsSync(join(farm.controller.db.binDir, 'pg_dump')), 'pg_dump for backups');
    const sync = await syncState(farm);
    assert.deepEqual(new Set([sync?.leader, sync?.sync_standby]), new Set(['e1', 'e2']));
    for (const e of farm.engines) {
      const pid = Number(readFileSync(join(farm.root, e.id, 'patroni', 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
      const uid = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
      assert.notEqual(uid, '0', `Postgres of ${e.id} runs as root`);
      const patroniUid = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${e.db!.member!.pid()}/status`, 'utf8'))?.[1];
      assert.equal(patroniUid, uid, `Patroni of ${e.id} runs as Postgres's user`);
    }
    const settings = await query(farm.controller.db.adminUrl(), "SELECT current_setting('synchronous_standby_names') AS names, current_setting('synchronous_commit') AS commit");
    assert.match(settings.rows[0].names as string, /e[12]/);
    assert.equal(settings.rows[0].commit, 'on');
  });

  it('a customer role reaches only the database of its name (pg_hba samerole, as on one host), and roles replicate', async () => {
    const admin = farm.controller.db.adminUrl();
    for (const name of ['acme', 'beta']) {
      await query(admin, `CREATE ROLE ${name} LOGIN PASSWORD '${name}-pw'`);
      await query(admin, `CREATE DATABASE ${name} OWNER ${name}`);
    }
    const fwd = farm.engines[0]!.db!.forwarder()!;
    const as = (role: string, db: string) => `postgres://${role}:${role}-pw@${fwd.host}:${fwd.port}/${db}`;
    assert.equal((await query(as('acme', 'acme'), 'SELECT current_user AS u')).rows[0].u, 'acme');
    await assert.rejects(query(as('beta', 'acme'), 'SELECT 1'), /no pg_hba\.conf entry for host .* user "beta", database "acme"/);
    await assert.rejects(query(as('acme', 'postgres'), 'SELECT 1'), /no pg_hba\.conf entry/);
    const standby = farm.engines.find((e) => e !== farm.primaryEngine())!;
    await waitFor(async () => (await query(memberUrl(farm, standby), "SELECT count(*)::int AS n FROM pg_roles WHERE rolname IN ('acme', 'beta')")).rows[0].n === 2, { what: 'the roles on the standby' });
  });

  it('a primary lost under a write loop loses no acknowledged write, and the forwarder follows the new primary', async () => {
    const admin = farm.controller.db.adminUrl();
    await query(admin, 'CREATE TABLE writes (id integer PRIMARY KEY)');
    const victim = farm.primaryEngine()!;
    victimId = victim.id;
    const survivor = farm.engines.find((e) => e !== victim)!;
    const fwd = survivor.db!.forwarder()!;
    assert.deepEqual(farm.controller.db.guestEndpoint(survivor.id), fwd);
    const through = new URL(admin);
    through.host = `${fwd.host}:${fwd.port}`;
    const loop = (firstLoop = startWriteLoop(through.href));
    await waitFor(() => loop.acked.length >= 50, { what: '50 writes through the forwarder', timeoutMs: 60_000 });

    const killedAt = Date.now();
    await victim.destroy(); // SIGKILL: Patroni and Postgres's process group, no goodbye to etcd
    const backAt = await waitFor(() => loop.firstAckAfter(killedAt), { what: 'a write accepted after the primary was lost', timeoutMs: 90_000, intervalMs: 50 });
    const ackedBefore = loop.acked.filter((a) => a.at <= killedAt).length;
    await waitFor(() => loop.acked.length >= ackedBefore + 50, { what: '50 more writes on the new primary', timeoutMs: 60_000 });
    await loop.stop();
    console.log(`# primary lost → writes accepted again through an engine's forwarder in ${backAt - killedAt} ms (${loop.failures} failed attempts meanwhile, ${loop.acked.length} writes acknowledged)`);

    assert.equal(farm.controller.db.primary()?.member, survivor.id);
    const rows = await query(farm.controller.db.adminUrl(), 'SELECT id FROM writes');
    const present = new Set(rows.rows.map((r) => r.id as number));
    const lost = loop.acked.filter((a) => !present.has(a.id)).map((a) => a.id);
    assert.deepEqual(lost, [], 'acknowledged writes missing on the new primary');
  });

  it('the lost engine, started again, rejoins as the synchronous standby with every write', async () => {
    const back = await farm.restartEngine(victimId);
    await waitFor(async () => (await syncState(farm))?.sync_standby === victimId, { what: `${victimId} the synchronous standby again`, timeoutMs: 180_000, intervalMs: 200 });
    const want = firstLoop.acked.map((a) => a.id);
    await waitFor(async () => {
      const rows = await query(memberUrl(farm, back), 'SELECT count(*)::int AS n FROM writes WHERE id = ANY($1)', [want]);
      return rows.rows[0].n === want.length;
    }, { what: `every acknowledged write replayed on ${victimId}`, timeoutMs: 60_000, intervalMs: 200 });
    const inRecovery = await query(memberUrl(farm, back), 'SELECT pg_is_in_recovery() AS r');
    assert.equal(inRecovery.rows[0].r, true, 'the old primary came back as a standby');
  });

  it('a primary stopped gracefully hands over without waiting for its leader key to expire', async () => {
    const admin = farm.controller.db.adminUrl();
    const loop = startWriteLoop(admin, { firstId: 1_000_000 });
    await waitFor(() => loop.acked.length >= 20, { what: '20 writes through the controller', timeoutMs: 60_000 });
    const primary = farm.primaryEngine()!;
    await primary.close();
    const stoppedAt = Date.now();
    await waitFor(() => loop.firstAckAfter(stoppedAt), { what: 'a write accepted after the switchover', timeoutMs: 60_000, intervalMs: 50 });
    await loop.stop();
    assert.notEqual(farm.controller.db.primary()?.member, primary.id);
    console.log(`# primary stopped (SIGTERM): writes refused for ${loop.longestGap()} ms at most`);
    const present = new Set((await query(farm.controller.db.adminUrl(), 'SELECT id FROM writes')).rows.map((r) => r.id as number));
    assert.deepEqual(loop.acked.filter((a) => !present.has(a.id)).map((a) => a.id), []);
  });
});
