// Tests and benchmarks only: a farm on etcd whose database cluster runs under Patroni
// (one etcd member, one controller, two engines each running a member on loopback, the
// process runtime), and a write loop that records every acknowledged write.

import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { silentLogger } from '../lib/log.ts';
import { waitFor } from '../lib/wait.ts';
import { keys } from '../model/index.ts';
import { etcdMissing, startEtcdCluster, type EtcdCluster } from '../store/etcd-testing.ts';
import { startControllerNode, type ControllerNode } from './controller-node.ts';
import { startEngineNode, type EngineNode } from './engine-node.ts';
import { PATRONI_SCOPE, type PatroniTiming } from './patroni-config.ts';
import { patroniMissing } from './patroni-member.ts';
import { freePorts } from '../lib/free-ports.ts';

/** Why the database cluster cannot run here, or false when it can. */
export function dbClusterMissing(): string | false {
  if (process.getuid?.() !== 0) return 'runs Postgres as the postgres user: needs root to switch to it';
  return etcdMissing() || patroniMissing();
}

export interface DbFarm {
  etcd: EtcdCluster;
  controller: ControllerNode;
  engines: EngineNode[];
  root: string;
  /** The engine whose member is primary now. */
  primaryEngine(): EngineNode | undefined;
  /** Start engine id again (same folder and ports), e.g. after it was destroyed; it replaces the old one in `engines`. */
  restartEngine(id: string): Promise<EngineNode>;
  close(): Promise<void>;
}

export async function startDbFarm(opts: { timing?: PatroniTiming; engines?: string[] } = {}): Promise<DbFarm> {
  const root = mkdtempSync(join(tmpdir(), 'corral-patroni-'));
  chmodSync(root, 0o755); // the postgres user must reach the engines' folders
  const etcd = await startEtcdCluster({ members: 1 });
  const engines: EngineNode[] = [];
  let controller: ControllerNode | undefined;
  const close = async () => {
    for (const e of engines) await e.close().catch(() => {});
    await controller?.close().catch(() => {});
    await etcd.close();
    rmSync(root, { recursive: true, force: true });
  };
  try {
    controller = await startControllerNode({ store: { endpoints: etcd.endpoints, namespace: '/farm' }, id: 'c1', dir: join(root, 'c1'), apiPort: 0, host: '127.0.0.1', log: silentLogger });
    const res = await fetch(`${controller.apiUrl}/v1/join-tokens`, {
      method: 'POST', headers: { authorization: `Bearer ${controller.adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'db' }),
    });
    const { token } = (await res.json()) as { token: string };
    const c = controller;
    const ports = new Map<string, number[]>();
    const start = async (id: string) => {
      const [pgPort, apiPort] = ports.get(id) ?? (await freePorts(2));
      ports.set(id, [pgPort!, apiPort!]);
      return startEngineNode({
        join: c.apiUrl, token, id, dir: join(root, id), runtime: 'process', address: '127.0.0.1', leaseTtlSeconds: 2, log: silentLogger,
        db: { member: { pgPort: pgPort!, apiPort: apiPort!, ...(opts.timing ? { timing: opts.timing } : {}) }, forwardPort: 0 },
      });
    };
    for (const id of opts.engines ?? ['e1', 'e2']) engines.push(await start(id));
    return {
      etcd, controller: c, engines, root, close,
      primaryEngine: () => engines.find((e) => e.id === c.db.primary()?.member),
      restartEngine: async (id) => {
        const e = await start(id);
        engines.splice(engines.findIndex((x) => x.id === id), 1, e);
        return e;
      },
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/** Patroni's /sync key: the primary and its synchronous standby, once it has one. */
export async function syncState(farm: DbFarm): Promise<{ leader: string; sync_standby: string | null } | undefined> {
  const kv = await farm.controller.store.get(`${keys.patroni}${PATRONI_SCOPE}/sync`);
  return kv ? (JSON.parse(kv.value) as { leader: string; sync_standby: string | null }) : undefined;
}

/** A wait for the cluster whose failure also says what Patroni has put in the store (its members' states, the leader, the sync key). */
export async function sayingPatroniState<T>(store: DbFarm['controller']['store'], wait: Promise<T>): Promise<T> {
  return wait.catch(async (err: Error) => {
    const { kvs } = await store.range(`${keys.patroni}${PATRONI_SCOPE}/`).catch(() => ({ kvs: [] }));
    const state = kvs.map((kv) => `${kv.key.slice(keys.patroni.length)} = ${kv.value.slice(0, 300)}`).join('\n') || '(nothing)';
    throw new Error(`${err.message}; Patroni's keys:\n${state}`);
  });
}

/** Until the cluster has a primary and a synchronous standby, and the primary takes writes. */
export async function waitForReplicatedCluster(farm: DbFarm, timeoutMs = 180_000): Promise<void> {
  await sayingPatroniState(farm.controller.store, waitFor(async () => {
    const s = await syncState(farm);
    return s?.sync_standby && s.leader === farm.controller.db.primary()?.member && farm.engines.some((e) => e.id === s.sync_standby);
  }, { what: 'a primary with a synchronous standby', timeoutMs, intervalMs: 200 }));
  await waitFor(() => query(farm.controller.db.adminUrl(), 'SELECT 1').then(() => true), { what: 'the primary answering', timeoutMs: 30_000, intervalMs: 200 });
}

/** The superuser URL of one member's own Postgres (not through a forwarder). */
export function memberUrl(farm: DbFarm, engine: EngineNode): string {
  const config = JSON.parse(readFileSync(join(farm.root, engine.id, 'patroni', 'patroni.json'), 'utf8')) as { postgresql: { connect_address: string } };
  return farm.controller.db.adminUrl().replace(/@[^/]+\//, `@${config.postgresql.connect_address}/`);
}

export async function query(url: string, sql: string, params: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000, query_timeout: 5000 });
  client.on('error', () => {});
  try {
    await client.connect();
    return await client.query(sql, params);
  } finally {
    await client.end().catch(() => {});
  }
}

export interface WriteLoop {
  /** Ids whose INSERT returned (committed, acknowledged), with when. */
  acked: { id: number; at: number }[];
  failures: number;
  firstAckAfter(t: number): number | undefined;
  /** The longest time between two acknowledged writes: how long writes were refused. */
  longestGap(): number;
  stop(): Promise<void>;
}

/** INSERT INTO writes(id) one after another through url, one connection kept while it works. */
export function startWriteLoop(url: string, opts: { firstId?: number; pauseMs?: number } = {}): WriteLoop {
  const pauseMs = opts.pauseMs ?? 20;
  const loop: WriteLoop = {
    acked: [], failures: 0,
    firstAckAfter: (t) => loop.acked.find((a) => a.at > t)?.at,
    longestGap: () => loop.acked.reduce((gap, a, i) => (i === 0 ? 0 : Math.max(gap, a.at - loop.acked[i - 1]!.at)), 0),
    stop: async () => {
      running = false;
      await done;
    },
  };
  let running = true;
  let next = opts.firstId ?? 1;
  const done = (async () => {
    let client: pg.Client | undefined;
    while (running) {
      const id = next++;
      try {
        if (!client) {
          client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000, query_timeout: 5000 });
          client.on('error', () => {});
          await client.connect();
        }
        await client.query('INSERT INTO writes (id) VALUES ($1)', [id]);
        loop.acked.push({ id, at: Date.now() });
      } catch {
        loop.failures++;
        await client?.end().catch(() => {});
        client = undefined;
      }
      await new Promise((r) => setTimeout(r, pauseMs)); // the loop's pace, not a wait for readiness
    }
    await client?.end().catch(() => {});
  })();
  return loop;
}

