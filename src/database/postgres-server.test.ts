// The farm's PostgreSQL: started once (initdb), restarted when it dies, and the same
// server (port, password, data) when the farm starts again on its folder.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { waitFor } from '../lib/wait.ts';
import { PostgresStartError } from './errors.ts';
import { openPostgres } from './postgres-server.ts';
import { postgresMissing, startTestPostgres, type TestPostgres } from './testing.ts';

const skip = postgresMissing();

async function query(url: string, sql: string): Promise<unknown[]> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  c.on('error', () => undefined);
  await c.connect();
  try {
    return (await c.query(sql)).rows;
  } finally {
    await c.end();
  }
}

describe('the farm PostgreSQL', { skip }, () => {
  let pgs: TestPostgres;
  before(async () => {
    pgs = await startTestPostgres();
  });
  after(async () => pgs?.close());

  it('runs as the postgres system user (as root), on 127.0.0.1 only, its secrets owner-only', async () => {
    const home = path.join(pgs.dir, 'postgres');
    if (process.getuid?.() === 0) assert.equal(pgs.server.osUser, 'postgres');
    const rows = await query(pgs.server.adminUrl(), "SELECT current_setting('listen_addresses') AS listen, current_setting('password_encryption') AS enc");
    assert.deepEqual(rows, [{ listen: '127.0.0.1', enc: 'scram-sha-256' }]);
    assert.equal((await stat(path.join(home, 'server.json'))).mode & 0o077, 0);
    assert.equal((await stat(path.join(home, 'data'))).mode & 0o077, 0);
    const hba = await readFile(path.join(home, 'data', 'pg_hba.conf'), 'utf8');
    assert.deepEqual(hba.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(/\s+/).slice(0, 3).join(' ')), ['host all corral', 'host samerole all']);
  });

  it('is restarted when it dies', async () => {
    await query(pgs.server.adminUrl(), 'CREATE TABLE IF NOT EXISTS survives (x int)');
    const pid = Number((await readFile(path.join(pgs.dir, 'postgres', 'data', 'postmaster.pid'), 'utf8')).split('\n')[0]);
    process.kill(pid, 'SIGKILL');
    await waitFor(async () => {
      const now = Number((await readFile(path.join(pgs.dir, 'postgres', 'data', 'postmaster.pid'), 'utf8')).split('\n')[0]);
      return now !== pid && (await query(pgs.server.adminUrl(), 'SELECT count(*)::int AS n FROM survives')).length === 1;
    }, { timeoutMs: 20_000, what: 'PostgreSQL back after SIGKILL' });
  });

  it('says how to let PostgreSQL in when the farm folder sits in a closed one', { skip: process.getuid?.() !== 0 && 'as root only (the server then runs as postgres)' }, async () => {
    const closed = await mkdtemp(path.join(tmpdir(), 'corral-closed-'));
    try {
      await assert.rejects(openPostgres({ dir: path.join(closed, 'farm') }), (err: Error) =>
        err instanceof PostgresStartError && err.message.includes(`cannot enter ${closed}`) && err.message.includes(`setfacl -m u:postgres:x ${closed}`));
    } finally {
      await rm(closed, { recursive: true, force: true });
    }
  });

  it('is the same server when opened again on its folder, and starts only when asked', async () => {
    await pgs.server.close();
    const again = await openPostgres({ dir: pgs.dir });
    try {
      assert.equal(again.port, pgs.server.port);
      assert.equal(again.adminUrl(), pgs.server.adminUrl());
      await assert.rejects(query(again.adminUrl(), 'SELECT 1'), 'not started before ready()');
      await again.ready();
      assert.deepEqual(await query(again.adminUrl(), 'SELECT count(*)::int AS n FROM survives'), [{ n: 0 }]);
    } finally {
      await again.close();
    }
  });
});
