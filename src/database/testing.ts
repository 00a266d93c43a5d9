// Tests' PostgreSQL: a real server in a temp folder (initdb, about 3 s), stopped and removed
// by close(). `missing` says why there is none (binaries not installed), for a skip reason.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createDbAdmin, type DbAdmin } from './db-admin.ts';
import { PostgresMissingError } from './errors.ts';
import { postgresBinDir, startPostgres, type PostgresServer } from './postgres-server.ts';

export function postgresMissing(): string | undefined {
  try {
    postgresBinDir();
    return undefined;
  } catch (err) {
    if (err instanceof PostgresMissingError) return err.message;
    throw err;
  }
}

export interface TestPostgres {
  dir: string;
  server: PostgresServer;
  admin: DbAdmin;
  /** A client logged in as `user` to `database`, connected (ended by close()). */
  connect(database: string, user: string, password: string): Promise<pg.Client>;
  close(): Promise<void>;
}

export async function startTestPostgres(): Promise<TestPostgres> {
  const dir = await mkdtemp(path.join(tmpdir(), 'corral-pg-'));
  const server = await startPostgres({ dir });
  const admin = createDbAdmin(server);
  const clients = new Set<pg.Client>();
  return {
    dir, server, admin,
    async connect(database, user, password) {
      const client = new pg.Client({ host: '127.0.0.1', port: server.port, database, user, password, connectionTimeoutMillis: 5000 });
      client.on('error', () => undefined);
      await client.connect();
      clients.add(client);
      return client;
    },
    async close() {
      for (const c of clients) await c.end().catch(() => undefined);
      await admin.close();
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
