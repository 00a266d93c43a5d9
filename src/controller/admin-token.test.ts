import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { openSqliteStore } from '../store/sqlite-store.ts';
import { ensureAdminToken } from './admin-token.ts';
import { lookupToken } from './tokens.ts';

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'corral-admin-token-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('the admin token is created once, in a 0600 file, and reused across restarts', async (t) => {
  const dir = await tempDir(t);
  const first = await openSqliteStore(join(dir, 'store.db'));
  const created = await ensureAdminToken(first, dir);
  assert.equal(created.created, true);
  assert.equal((await lookupToken(first, created.token))?.role, 'admin');
  const file = join(dir, 'admin-token');
  assert.equal((await stat(file)).mode & 0o777, 0o600);
  assert.equal((await readFile(file, 'utf8')).trim(), created.token);
  await first.close();

  const second = await openSqliteStore(join(dir, 'store.db'));
  t.after(() => second.close());
  const reused = await ensureAdminToken(second, dir);
  assert.deepEqual(reused, { token: created.token, created: false });
});

test('a token file whose hash is not in the store is replaced', async (t) => {
  const dir = await tempDir(t);
  const old = await openSqliteStore(join(dir, 'old.db'));
  const { token: stale } = await ensureAdminToken(old, dir);
  await old.close();
  const store = await openSqliteStore(join(dir, 'new.db'));
  t.after(() => store.close());
  const fresh = await ensureAdminToken(store, dir);
  assert.equal(fresh.created, true);
  assert.notEqual(fresh.token, stale);
  assert.equal((await readFile(join(dir, 'admin-token'), 'utf8')).trim(), fresh.token);
  assert.equal((await stat(join(dir, 'admin-token'))).mode & 0o777, 0o600);
});

test('garbage in the token file is replaced; loose permissions are tightened', async (t) => {
  const dir = await tempDir(t);
  const store = await openSqliteStore(join(dir, 'store.db'));
  t.after(() => store.close());
  await writeFile(join(dir, 'admin-token'), 'not a token\n');
  const fresh = await ensureAdminToken(store, dir);
  assert.equal(fresh.created, true);
  await chmod(join(dir, 'admin-token'), 0o644);
  assert.equal((await ensureAdminToken(store, dir)).created, false);
  assert.equal((await stat(join(dir, 'admin-token'))).mode & 0o777, 0o600);
});
