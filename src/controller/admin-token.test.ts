import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { openSqliteStore } from '../store/sqlite-store.ts';
import { ensureAdminToken } from './admin-token.ts';
import { keys } from '../model/index.ts';
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

test('controllers on one store share one admin token: the first creates it, the others are given it', async (t) => {
  const root = await tempDir(t);
  const store = await openSqliteStore(join(root, 'store.db'));
  t.after(() => store.close());
  const [dirA, dirB, dirC] = ['a', 'b', 'c'].map((d) => join(root, d));
  // started together on a fresh store: exactly one creates the token
  const starts = await Promise.allSettled([ensureAdminToken(store, dirA!), ensureAdminToken(store, dirB!)]);
  const won = starts.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const lost = starts.flatMap((s) => (s.status === 'rejected' ? [s.reason as Error] : []));
  assert.equal(won.length, 1);
  assert.equal(won[0]!.created, true);
  assert.match(lost[0]!.message, /admin token.*copy admin-token from .*--admin-token-file/);
  const firstDir = starts[0]!.status === 'fulfilled' ? dirA! : dirB!;
  // a controller not given the token does not make its own
  await assert.rejects(ensureAdminToken(store, dirC!), /this farm already has an admin token .*--admin-token-file/);
  // given it (--admin-token-file): the same token, kept in its own 0600 file
  const given = await ensureAdminToken(store, dirC!, { from: join(firstDir, 'admin-token') });
  assert.deepEqual(given, { token: won[0]!.token, created: false });
  assert.equal((await readFile(join(dirC!, 'admin-token'), 'utf8')).trim(), won[0]!.token);
  assert.equal((await stat(join(dirC!, 'admin-token'))).mode & 0o777, 0o600);
  // or a copy of the file in its folder
  await mkdir(join(root, 'b'), { recursive: true });
  await writeFile(join(root, 'b', 'admin-token'), `${won[0]!.token}\n`, { mode: 0o600 });
  assert.deepEqual(await ensureAdminToken(store, join(root, 'b')), { token: won[0]!.token, created: false });
  const admins = (await store.range(keys.tokens)).kvs.filter((kv) => (JSON.parse(kv.value) as { role: string }).role === 'admin');
  assert.equal(admins.length, 1, 'one admin token record');
  // a file with a token that is not the farm's is refused, naming the file
  await writeFile(join(root, 'wrong'), 'crl_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n');
  await assert.rejects(ensureAdminToken(store, join(root, 'd'), { from: join(root, 'wrong') }), /wrong does not hold this farm's admin token/);
});

test('one machine that lost its token file gets a new token; the old one stops working', async (t) => {
  const dir = await tempDir(t);
  const store = await openSqliteStore(join(dir, 'store.db'));
  t.after(() => store.close());
  const old = await ensureAdminToken(store, dir, { replaceLost: true });
  await rm(join(dir, 'admin-token'));
  const fresh = await ensureAdminToken(store, dir, { replaceLost: true });
  assert.equal(fresh.created, true);
  assert.equal(await lookupToken(store, old.token), undefined);
  assert.equal((await lookupToken(store, fresh.token))?.role, 'admin');
});
