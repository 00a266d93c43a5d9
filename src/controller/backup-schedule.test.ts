// Scheduled farm backups: archives appear at the period, only the newest `keep` stay, each
// one restores; nothing is taken while inactive (a follower); other files are left alone.

import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it, type TestContext } from 'node:test';
import { silentLogger } from '../lib/log.ts';
import { waitFor } from '../lib/wait.ts';
import { openSqliteStore } from '../store/sqlite-store.ts';
import { startBackupSchedule } from './backup-schedule.ts';
import { restoreFarm } from './farm-restore.ts';
import { startController } from './test-harness.ts';

const ARCHIVE = /^farm-\d{8}T\d{9}Z\.tar\.gz$/;

it('makes a backup every period and keeps the newest ones', async (t) => {
  const h = await startController(t);
  await h.customer('acme');
  const dir = await tempDir(t);
  await writeFile(join(dir, 'notes.txt'), 'not a backup');
  const schedule = startBackupSchedule({ source: { store: h.store, blobs: h.blobs }, dir, everyMs: 50, keep: 2, log: silentLogger });
  t.after(() => schedule.close());
  const seen = new Set<string>();
  await waitFor(async () => {
    for (const f of await readdir(dir)) if (ARCHIVE.test(f)) seen.add(f);
    return seen.size >= 4;
  }, { timeoutMs: 20_000, what: 'four scheduled backups' });
  await schedule.close();
  const left = (await readdir(dir)).sort();
  const archives = left.filter((f) => ARCHIVE.test(f));
  assert.equal(archives.length, 2, left.join(' '));
  for (const f of archives) seen.add(f); // one may have come after the last look
  assert.deepEqual(archives, [...seen].sort().slice(-2), 'the newest two are kept');
  assert.ok(left.includes('notes.txt'));
  assert.ok(!left.some((f) => f.endsWith('.partial')));
  const restored = join(await tempDir(t), 'farm');
  const result = await restoreFarm(join(dir, archives[1]!), restored, { openStore: (f) => openSqliteStore(f) });
  assert.ok(result.records.restored > 0);
});

it('takes nothing while inactive (a controller that does not lead)', async (t) => {
  const h = await startController(t);
  const dir = await tempDir(t);
  let leading = false;
  const schedule = startBackupSchedule({ source: { store: h.store, blobs: h.blobs }, dir, everyMs: 20, keep: 3, log: silentLogger, active: () => leading });
  t.after(() => schedule.close());
  await schedule.runOnce();
  await schedule.runOnce();
  assert.deepEqual(await readdir(dir).catch(() => []), []);
  leading = true;
  await schedule.runOnce();
  assert.equal((await readdir(dir)).filter((f) => ARCHIVE.test(f)).length, 1);
});

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'corral-backups-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}
