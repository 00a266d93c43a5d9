// The database server as the controller's management code sees it, in cluster mode: the
// same two questions as on one host (`DbServer`), answered for the Patroni cluster.
//   adminUrl()            superuser URL of the current primary, through a forwarder on this
//                         controller's loopback that follows Patroni's leader key — one URL
//                         for the controller's life, whatever member is primary;
//   guestEndpoint(engine) where that engine's guests connect: its forwarder, as the engine
//                         published it (keys.dbForwarder).
// The superuser is `corral` as on one host; roles, databases and grants replicate with the
// data; pg_hba is Patroni's (patroni-config.ts: `samerole` for customers' roles), so this
// code's users must not edit pg_hba.conf.

import { keyName, keys } from '../model/index.ts';
import type { Store, Watcher } from '../store/index.ts';
import { startDbForwarder, type DbForwarder } from './db-forwarder.ts';
import { watchDbPrimary, type DbEndpoint, type DbPrimaryWatch } from './db-primary.ts';
import { ensureDbSecrets } from './db-secrets.ts';
import { dbNoForwarder } from './errors.ts';
import { DB_SUPERUSER } from './patroni-config.ts';
import { PG_BIN_DIR } from './patroni-member.ts';
import { waitFor } from '../lib/wait.ts';

export interface DbServer {
  adminUrl(): string;
  guestEndpoint(engine: string): { host: string; port: number };
  /** The folder holding pg_dump and pg_restore (Debian's postgresql-client-15 on the controller's host). */
  readonly binDir: string;
  /** Resolves once the cluster has a primary (at most `readyTimeoutMs`, default 60 s). */
  ready(): Promise<void>;
}

export interface ClusterDbServer extends DbServer {
  /** The primary now (undefined between a primary's loss and the next promotion). */
  primary(): DbEndpoint | undefined;
  close(): Promise<void>;
}

export async function startClusterDbServer(store: Store, opts: { readyTimeoutMs?: number } = {}): Promise<ClusterDbServer> {
  const secrets = await ensureDbSecrets(store);
  const endpoints = new Map<string, { host: string; port: number }>();
  let forwarder: DbForwarder | undefined;
  let primary: DbPrimaryWatch | undefined;
  let watcher: Watcher | undefined;
  try {
    primary = await watchDbPrimary(store, () => forwarder?.cut());
    forwarder = await startDbForwarder({ host: '127.0.0.1', port: 0, primary: primary.current });
    watcher = await store.watch(keys.dbForwarders, (events) => {
      for (const e of events) {
        if (e.type === 'put') endpoints.set(keyName(e.kv.key), JSON.parse(e.kv.value) as { host: string; port: number });
        else endpoints.delete(keyName(e.kv.key));
      }
    });
    for (const kv of (await store.range(keys.dbForwarders)).kvs) endpoints.set(keyName(kv.key), JSON.parse(kv.value) as { host: string; port: number });
  } catch (err) {
    primary?.close();
    await forwarder?.close();
    throw err;
  }
  const fwd = forwarder;
  const watch = primary;
  let closing: Promise<void> | undefined;
  return {
    adminUrl: () => `postgres://${DB_SUPERUSER}:${encodeURIComponent(secrets.superuser)}@127.0.0.1:${fwd.port}/postgres`,
    guestEndpoint(engine) {
      const at = endpoints.get(engine);
      if (!at) throw dbNoForwarder(engine);
      return at;
    },
    binDir: PG_BIN_DIR,
    async ready() {
      await waitFor(() => watch.current() !== undefined, {
        what: 'a primary in the database cluster (engines run its members with `corral engine --db`)', timeoutMs: opts.readyTimeoutMs ?? 60_000, intervalMs: 100,
      });
    },
    primary: () => watch.current(),
    close() {
      closing ??= (async () => {
        watcher?.close();
        watch.close();
        await fwd.close();
      })();
      return closing;
    },
  };
}
