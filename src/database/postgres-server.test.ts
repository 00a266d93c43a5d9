// The farm's PostgreSQL: started once (initdb), restarted when it dies, and the same
// server (port, password, data) when the farm starts again on its folder; one left running
// on that folder by a farm killed outright is stopped before the farm's own starts.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { waitFor } from '../lib/wait.ts';
import { PostgresStartError } from './errors.ts';
import { openPostgres } from './postgres-server.ts';
import { postgresBinDir } from './postgres-server.ts';
import { postgresMissing, startTestPostgres, type TestPostgres } from './testing.ts';
import { captureLog } from '../lib/log-testing.ts';
import { processRunning } from '../lib/process-running.ts';

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

  it('stops a PostgreSQL left running on its folder (a farm killed outright) before starting its own', async () => {
    await pgs.server.close();
    const data = path.join(pgs.dir, 'postgres', 'data');
    const stray = startStray(data, pgs.server.port);
    try {
      await waitFor(() => query(pgs.server.adminUrl(), 'SELECT 1'), { timeoutMs: 20_000, what: 'the stray PostgreSQL' });
      const { log, events } = captureLog();
      const again = await openPostgres({ dir: pgs.dir, log });
      try {
        await again.ready();
        assert.equal(processRunning(stray), false, 'the stray postmaster was stopped');
        assert.equal(events('postgres.stray').length, 1);
        const now = Number((await readFile(path.join(data, 'postmaster.pid'), 'utf8')).split('\n')[0]);
        assert.notEqual(now, stray);
        assert.ok(processRunning(now), 'ours serves');
        assert.deepEqual(await query(again.adminUrl(), 'SELECT count(*)::int AS n FROM survives'), [{ n: 0 }]);
        assert.deepEqual(events('postgres.exited'), [], 'ours was not refused by a lock file');
      } finally {
        await again.close();
      }
      assert.equal(existsSync(path.join(data, 'postmaster.pid')), false, 'nothing runs on the folder after close');
    } finally {
      if (processRunning(stray)) process.kill(stray, 'SIGQUIT');
    }
  });
});

/** postgres on the farm's data folder, started as the farm would but by nobody who supervises it; its pid. */
function startStray(data: string, port: number): number {
  const root = process.getuid?.() === 0;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  const run = path.join(path.dirname(data), 'run');
  const c = spawn(path.join(postgresBinDir(), 'postgres'), ['-D', data, '-c', 'listen_addresses=127.0.0.1', '-c', `port=${port}`, '-c', `unix_socket_directories=${run}`], {
    detached: true, stdio: 'ignore', ...(root ? { uid: id('-u'), gid: id('-g') } : {}),
  });
  c.unref();
  return c.pid!;
}

