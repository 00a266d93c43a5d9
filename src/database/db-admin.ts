// The farm's management of customer databases, in SQL over the superuser connection of a
// DbServer (one host, or the Patroni primary in cluster mode). Per database, PostgreSQL
// holds:
//   - a group role named like the database (NOLOGIN), owning it: pg_hba's `samerole` lets
//     only its members connect, and CONNECT/TEMPORARY are revoked from PUBLIC;
//   - login roles, members of the group with `SET role` to it by default, so what they
//     create belongs to the group and a login can be dropped after a rotation. None has
//     SUPERUSER, CREATEDB, CREATEROLE or REPLICATION.
// Names are quoted with escapeIdentifier, passwords with escapeLiteral (DDL takes no
// parameters); the controller makes both (opaque ids, random passwords).

import { spawn } from 'node:child_process';
import path from 'node:path';
import type { Readable } from 'node:stream';
import pg from 'pg';
import { DumpToolError } from './errors.ts';
import { ADMIN_ROLE, type DbServer } from './postgres-server.ts';

export interface DbLogin {
  user: string;
  password: string;
}

export interface DbAdmin {
  /** The database, its group role and its first login. */
  create(pgName: string, connectionLimit: number, login: DbLogin): Promise<void>;
  /** Sessions ended, database and every role of it dropped; no error if absent. */
  drop(pgName: string, users: string[]): Promise<void>;
  addLogin(pgName: string, login: DbLogin): Promise<void>;
  /** Its sessions ended, whatever it owns handed to the group, the role dropped. */
  dropLogin(pgName: string, user: string): Promise<void>;
  setConnectionLimit(pgName: string, limit: number): Promise<void>;
  /** Sizes in bytes by database name (pg_database_size). */
  sizes(pgNames: string[]): Promise<Map<string, number>>;
  /** default_transaction_read_only on or off for new sessions; current sessions are ended so they reconnect under it. */
  setReadOnly(pgName: string, on: boolean): Promise<void>;
  /** pg_dump -Fc of the database: its stdout, and `done` (rejects with the tool's error). One snapshot: consistent under writes. */
  dump(pgName: string): { stream: Readable; done: Promise<void> };
  /** The database emptied (dropped and made again, same owner and limit), then the archive restored into it in one transaction. */
  restore(pgName: string, connectionLimit: number, archive: string): Promise<void>;
  close(): Promise<void>;
}

/** Every call waits for `server.ready()` first (which starts a server that is not running yet). */
export function createDbAdmin(server: DbServer): DbAdmin {
  const admin = adminOf(server);
  const wrapped = {} as DbAdmin;
  for (const [name, fn] of Object.entries(admin) as [keyof DbAdmin, (...args: unknown[]) => unknown][]) {
    if (name === 'close' || name === 'dump') continue;
    (wrapped as unknown as Record<string, unknown>)[name] = async (...args: unknown[]) => {
      await server.ready();
      return fn(...args);
    };
  }
  wrapped.close = admin.close;
  wrapped.dump = admin.dump;
  return wrapped;
}

function adminOf(server: DbServer): DbAdmin {
  const pool = new pg.Pool({ connectionString: server.adminUrl(), max: 4 });
  pool.on('error', () => undefined);
  const id = (name: string) => pg.escapeIdentifier(name);
  const lit = (text: string) => pg.escapeLiteral(text);
  const terminate = (where: string, value: string) => pool.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE ${where} = $1 AND pid <> pg_backend_pid()`, [value]);
  const makeDb = async (pgName: string, limit: number) => {
    await pool.query(`CREATE DATABASE ${id(pgName)} OWNER ${id(pgName)} CONNECTION LIMIT ${Math.trunc(limit)}`);
    await pool.query(`REVOKE ALL ON DATABASE ${id(pgName)} FROM PUBLIC`);
  };
  const addLogin = async (pgName: string, login: DbLogin) => {
    await pool.query(`CREATE ROLE ${id(login.user)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION INHERIT PASSWORD ${lit(login.password)} IN ROLE ${id(pgName)}`);
    await pool.query(`ALTER ROLE ${id(login.user)} SET role = ${lit(pgName)}`);
  };
  const url = new URL(server.adminUrl());
  const toolEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', PGPASSWORD: decodeURIComponent(url.password), PGHOST: url.hostname, PGPORT: url.port, PGUSER: ADMIN_ROLE, PGCONNECT_TIMEOUT: '10' };
  return {
    async create(pgName, connectionLimit, login) {
      await pool.query(`CREATE ROLE ${id(pgName)} NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION`);
      await makeDb(pgName, connectionLimit);
      await addLogin(pgName, login);
    },
    async drop(pgName, users) {
      await pool.query(`DROP DATABASE IF EXISTS ${id(pgName)} WITH (FORCE)`);
      for (const user of [...users, pgName]) await pool.query(`DROP ROLE IF EXISTS ${id(user)}`);
    },
    addLogin,
    async dropLogin(pgName, user) {
      const exists = await pool.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [user]);
      if (exists.rowCount === 0) return;
      await pool.query(`ALTER ROLE ${id(user)} NOLOGIN`);
      await terminate('usename', user);
      const inDb = new pg.Client({ connectionString: withDatabase(server.adminUrl(), pgName) });
      await inDb.connect();
      try {
        await inDb.query(`REASSIGN OWNED BY ${id(user)} TO ${id(pgName)}`);
        await inDb.query(`DROP OWNED BY ${id(user)}`);
      } finally {
        await inDb.end();
      }
      await pool.query(`DROP ROLE ${id(user)}`);
    },
    async setConnectionLimit(pgName, limit) {
      await pool.query(`ALTER DATABASE ${id(pgName)} CONNECTION LIMIT ${Math.trunc(limit)}`);
    },
    async sizes(pgNames) {
      const res = await pool.query<{ datname: string; size: string }>('SELECT datname, pg_database_size(oid)::text AS size FROM pg_database WHERE datname = ANY($1)', [pgNames]);
      return new Map(res.rows.map((r) => [r.datname, Number(r.size)]));
    },
    async setReadOnly(pgName, on) {
      await pool.query(on ? `ALTER DATABASE ${id(pgName)} SET default_transaction_read_only = on` : `ALTER DATABASE ${id(pgName)} RESET default_transaction_read_only`);
      await terminate('datname', pgName);
    },
    dump(pgName) {
      return runTool(path.join(server.binDir, 'pg_dump'), ['-Fc', '--no-acl', '-d', pgName], toolEnv);
    },
    async restore(pgName, connectionLimit, archive) {
      await pool.query(`DROP DATABASE IF EXISTS ${id(pgName)} WITH (FORCE)`);
      await makeDb(pgName, connectionLimit);
      const { stream, done } = runTool(path.join(server.binDir, 'pg_restore'), ['--no-owner', '--no-acl', `--role=${pgName}`, '--single-transaction', '--exit-on-error', '-d', pgName, archive], toolEnv);
      stream.resume();
      await done;
    },
    async close() {
      await pool.end();
    },
  };
}

function withDatabase(adminUrl: string, db: string): string {
  const u = new URL(adminUrl);
  u.pathname = `/${encodeURIComponent(db)}`;
  return u.toString();
}

/** A client tool's stdout, and its end: rejects with its last stderr lines on a non-zero exit. */
function runTool(file: string, args: string[], env: Record<string, string>): { stream: Readable; done: Promise<void> } {
  const child = spawn(file, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const done = new Promise<void>((resolve, reject) => {
    child.on('error', (err) => reject(new DumpToolError(path.basename(file), err.message)));
    child.on('close', (code) => (code === 0 ? resolve() : reject(new DumpToolError(path.basename(file), stderr.trim().split('\n').slice(-3).join(' / ') || `exit ${code}`))));
  });
  done.catch(() => undefined);
  return { stream: child.stdout, done };
}
