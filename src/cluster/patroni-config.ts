// The Patroni configuration of one database member (cluster mode), as a plain object
// (JSON is YAML, so Patroni reads it as written). Pure: patroni-member.ts writes it.
//
// Timing (Patroni's documented defaults: ttl 30 s, loop_wait 10 s, retry_timeout 10 s).
// The farm's: ttl 6 s, loop_wait 1 s, retry_timeout 2 s. A primary lost is noticed when
// its leader key's lease expires (≤ ttl); the standby watches that key, so it races for
// it at once and promotes. 6 s is the farm's controller leader TTL, which must outlast an
// etcd leader election (≈ 1 s) just as Patroni's must: retry_timeout 2 s rides one out
// without demoting a healthy primary. Patroni requires ttl ≥ loop_wait + 2·retry_timeout.
//
// Synchronous replication: `synchronous_mode: true` makes a commit wait until the
// synchronous standby has flushed it, and Patroni promotes only the member named in its
// `/sync` key — so a failover never loses an acknowledged commit. `synchronous_mode_strict`
// is false: with two members, strict mode would block every write while the standby is
// down, and after a failover the lone new primary would accept no write until the old one
// came back. Not strict, a primary without a standby keeps accepting writes (one copy
// until a standby catches up), and Patroni still refuses to promote a standby that was
// not in sync: a second failure in that window costs availability, never a commit.

import { keys } from '../model/index.ts';
import { dbBadTiming } from './errors.ts';

export const PATRONI_SCOPE = 'db';

export interface PatroniTiming {
  ttl: number;
  loopWait: number;
  retryTimeout: number;
}

export const FARM_PATRONI_TIMING: PatroniTiming = Object.freeze({ ttl: 6, loopWait: 1, retryTimeout: 2 });

export interface DbSecrets {
  superuser: string;
  replication: string;
  rewind: string;
  /** Patroni's REST API: its unsafe endpoints (switchover, restart, reinitialize…) ask for it. */
  restapi: string;
}

export interface PatroniConfigInput {
  /** Member name: the engine id (Patroni's leader key holds it). */
  name: string;
  /** The farm store's etcd endpoints (http://host:port) and namespace ('' or '/farm'). */
  etcd: { endpoints: string[]; namespace: string };
  /** Address Postgres and Patroni's REST API listen on and are reached at by the other members. */
  address: string;
  pgPort: number;
  apiPort: number;
  /** Patroni's folder for this member: data/, the socket, pgpass. */
  dir: string;
  binDir: string;
  secrets: DbSecrets;
  timing?: PatroniTiming;
}

/** The superuser the controller's database management code logs in as: `corral`, as on one host (its tools set PGUSER to it). */
export const DB_SUPERUSER = 'corral';
export const DB_REPLICATION_USER = 'replicator';
export const DB_REWIND_USER = 'rewinder';

export function patroniConfig(input: PatroniConfigInput): Record<string, unknown> {
  const t = input.timing ?? FARM_PATRONI_TIMING;
  checkTiming(t);
  return {
    scope: PATRONI_SCOPE,
    // Patroni's keys: <namespace>/<scope>/…, i.e. keys.patroni + 'db/…' in the farm's store
    namespace: input.etcd.namespace + keys.patroni.slice(0, -1),
    name: input.name,
    restapi: {
      listen: `${input.address}:${input.apiPort}`,
      connect_address: `${input.address}:${input.apiPort}`,
      authentication: { username: 'corral', password: input.secrets.restapi },
    },
    etcd3: { hosts: input.etcd.endpoints.map(hostPort) },
    bootstrap: {
      dcs: {
        ttl: t.ttl,
        loop_wait: t.loopWait,
        retry_timeout: t.retryTimeout,
        maximum_lag_on_failover: 1048576,
        synchronous_mode: true,
        synchronous_mode_strict: false,
        postgresql: {
          use_pg_rewind: true,
          use_slots: true,
          parameters: { wal_level: 'replica', hot_standby: 'on', wal_log_hints: 'on', max_wal_senders: 10, max_replication_slots: 10, synchronous_commit: 'on' },
        },
      },
      initdb: [{ encoding: 'UTF8' }, { locale: 'C.UTF-8' }, 'data-checksums'],
    },
    postgresql: {
      listen: `${input.address}:${input.pgPort}`,
      connect_address: `${input.address}:${input.pgPort}`,
      data_dir: `${input.dir}/data`,
      bin_dir: input.binDir,
      pgpass: `${input.dir}/pgpass`,
      authentication: {
        superuser: { username: DB_SUPERUSER, password: input.secrets.superuser },
        replication: { username: DB_REPLICATION_USER, password: input.secrets.replication },
        rewind: { username: DB_REWIND_USER, password: input.secrets.rewind },
      },
      parameters: { unix_socket_directories: input.dir, password_encryption: 'scram-sha-256' },
      // Every connection needs a password (SCRAM). As on one host, a customer's role reaches
      // only the database of its own name (samerole); the superuser, replication and rewind
      // roles are Patroni's and the controller's. The members' and engines' addresses are
      // not known in advance: the network is the farm's private one (as for etcd).
      pg_hba: [
        'local all all scram-sha-256',
        `host all ${DB_SUPERUSER} 0.0.0.0/0 scram-sha-256`,
        `host all ${DB_REWIND_USER} 0.0.0.0/0 scram-sha-256`,
        `host replication ${DB_REPLICATION_USER} 0.0.0.0/0 scram-sha-256`,
        'host samerole all 0.0.0.0/0 scram-sha-256',
      ],
    },
  };
}

/** Patroni's own rule, checked before it starts rather than in its log. */
export function checkTiming(t: PatroniTiming): void {
  for (const [k, v] of Object.entries(t)) {
    if (!Number.isInteger(v) || v < 1) throw dbBadTiming(`${k} must be a whole number of seconds ≥ 1 (got ${v})`);
  }
  if (t.ttl < t.loopWait + 2 * t.retryTimeout) {
    throw dbBadTiming(`ttl (${t.ttl} s) must be at least loop_wait + 2 × retry_timeout (${t.loopWait + 2 * t.retryTimeout} s)`);
  }
}

function hostPort(endpoint: string): string {
  const u = new URL(endpoint);
  return `${u.hostname}:${u.port || '2379'}`;
}
