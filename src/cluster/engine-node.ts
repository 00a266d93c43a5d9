// `corral engine --join <controller-url> --token <join-token>`: an engine of a farm on
// etcd. Design (the simplest sound one): joining trades the join token for the store's
// endpoints and an engine token; the agent then speaks to etcd directly — its lease,
// its registration and the watch of its assignments need etcd's own leases and watches,
// which a proxy through the controller would only imitate — and fetches release blobs
// over HTTP from whichever controller answers, verifying their sha256.
//
// The runtime is chosen as `corral up` chooses it (`runtime`, default `auto`: namespace
// where the host allows it, else process with a warning). Virtual servers are reached on
// the engine's advertised address (--address), so routers on other hosts can reach them:
// the process runtime binds them there directly; the namespace runtime's guests live on
// the engine's private bridge, so each gets a TCP forwarder on that address
// (engine/published-runtime.ts). Without --address, the process runtime's loopback
// addresses or the bridge's: reachable from this host only.
//
// With `db`, the engine forwards its guests' database connections to the primary of the
// farm's Patroni cluster, and with `db.member` also runs one of its members (db-engine.ts).
// That forwarder listens on the engine's loopback (or --db-forward-host) and is the runtime's
// `database` target: process VSs connect to it directly; namespace guests connect to the
// runtime's own forwarder on their bridge address (port 5432), which pipes into it. So
// guests reach the primary only at their bridge address, and the two forwarders never
// share an address. Started before the runtime, which needs its address.

import { readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createEngineLogs, GUEST_DB_PORT, metricsRegistry, type AddressPool, type EngineAgent, type Runtime, type RuntimeChoice } from '../engine/index.ts';
import { startEnginePart, type EnginePart } from './engine-part.ts';
import { logger, type Logger } from '../lib/log.ts';
import { hostId } from '../lib/host-id.ts';
import type { ShutdownStack } from '../lib/shutdown-stack.ts';
import { keys } from '../model/index.ts';
import { openEtcdStore, type Store } from '../store/index.ts';
import { httpBlobFetcher } from './blob-fetch.ts';
import { startEngineDb, type EngineDb, type EngineDbOptions } from './db-engine.ts';
import { startEngineApi } from './engine-api.ts';
import { startFarmNode } from './farm-node.ts';
import { joinFarm, type JoinAnswer } from './join.ts';
import { startMetricsServer, type MetricsListen } from './metrics-server.ts';

export interface EngineNodeOptions {
  join: string;
  token: string;
  dir: string;
  id?: string;
  /** Address the engine's virtual servers listen on and are reached at. */
  address?: string;
  /** `auto` (default): namespace where this host allows it, else process with a warning; `namespace` fails if it cannot run. */
  runtime?: RuntimeChoice;
  /** The namespace runtime's bridge and subnet (default: chosen once per engine directory). */
  bridge?: string;
  subnet?: string;
  /** Registration lease TTL (default 3 s): how soon the farm notices this engine is gone. */
  leaseTtlSeconds?: number;
  /** Default: this machine's cpus and memory, 64 virtual servers, the engine's reserve for the host and overcommit (src/model vs-memory.ts). */
  capacity?: { cpus?: number; memoryMb?: number; maxVirtualServers?: number; reservedMemoryMb?: number; memoryOvercommit?: number };
  /** Most VSs starting at once (default max(2, cores)); the rest wait as `queued`. */
  maxConcurrentStarts?: number;
  /**
   * The port of the engine's API (its VSs' logs and `vs exec`, for the farm's controllers:
   * engine-api.ts) on --address (127.0.0.1 without); default 0, any free port (`corral engine`:
   * 7401). Its URL goes into the engine record.
   */
  apiPort?: number;
  /** Serve GET /metrics (VS states and restarts, capacity and use) on this listener; default none. */
  metrics?: MetricsListen;
  log?: Logger;
  /** Ctrl-C during start-up: what has started is stopped (close) and the start rejects (farm-node.ts). */
  signal?: AbortSignal;
  /** The farm's database cluster: forward guests' connections to its primary; `member` runs a Patroni member here. */
  db?: EngineDbOptions;
}

export interface EngineNode {
  id: string;
  /** Where the farm's controllers reach this engine's API (its record's apiUrl). */
  apiUrl: string;
  /** The /metrics URL when `metrics` was given. */
  metricsUrl?: string;
  agent: EngineAgent;
  store: Store;
  /** The runtime this engine runs (also in its engine record). */
  runtime: 'process' | 'namespace';
  /** Why not the isolated runtime (a fallback), or why guests run without a seccomp filter. */
  runtimeWarning?: string;
  /** Present with the `db` option. */
  db?: EngineDb;
  close(): Promise<void>;
  /** As on a crash: kill every VS at once, revoke nothing (the lease expires). */
  destroy(): Promise<void>;
}

export async function startEngineNode(opts: EngineNodeOptions): Promise<EngineNode> {
  const id = opts.id ?? hostId('engine');
  const dir = resolve(opts.dir);
  const log = opts.log ?? logger('engine', { engine: id });
  const joined = await joinFarm(opts.join, opts.token, 'engine', id); // nothing to undo if a later step fails
  // destroy(): a host loss — VSs and the database member killed, the lease left to expire
  const node = await startFarmNode({
    log, onFailure: 'destroy', ...(opts.signal ? { signal: opts.signal } : {}),
    async store(stack) {
      const store = await openEtcdStore(joined.store.endpoints, joined.store.namespace ? { namespace: joined.store.namespace } : {});
      stack.push('store', () => store.close());
      return store;
    },
    engine: ({ stack, store }) => startEngine(stack, store, joined, id, dir, opts, log),
  });
  const { db, metrics, apiUrl, part: { agent, runtime, warning } } = node.engine;
  return {
    id, apiUrl, agent, store: node.store, runtime: runtime.name,
    ...(warning ? { runtimeWarning: warning } : {}),
    ...(metrics ? { metricsUrl: metrics.url } : {}),
    ...(db ? { db } : {}),
    close: () => node.stack.close(),
    destroy: () => node.stack.destroy(),
  };
}

/** The engine part and what this role starts around it: the blob sources, its API and /metrics listeners, the database member or forwarder. */
async function startEngine(stack: ShutdownStack, store: Store, joined: JoinAnswer, id: string, dir: string, opts: EngineNodeOptions, log: Logger): Promise<{ part: EnginePart; apiUrl: string; db?: EngineDb; metrics?: { url: string } }> {
  let controllers = joined.controllers;
  // The blob sources follow the controllers' registrations.
  const refresh = async () => {
    const { kvs } = await store.range(keys.controllers);
    if (kvs.length > 0) controllers = kvs.map((kv) => (JSON.parse(kv.value) as { url: string }).url);
  };
  await refresh();
  const watcher = await store.watch(keys.controllers, () => void refresh().catch(() => {}));
  stack.push('controllers watch', () => watcher.close());
  // before the agent starts: a taken port fails the start with nothing to undo but this,
  // and the engine record names the API's URL from its first registration
  const parts: { runtime?: Runtime } = {};
  const api = await startEngineApi({ store, logs: createEngineLogs(dir), runtime: () => parts.runtime, listen: { port: opts.apiPort ?? 0, host: opts.address ?? '127.0.0.1' }, log: log.child({ part: 'engine-api' }) });
  stack.push('engine api', () => api.close());
  const metrics = opts.metrics ? await startMetricsServer(metricsRegistry, opts.metrics, log) : undefined;
  if (metrics) stack.push('metrics listener', () => metrics.close());
  let db: EngineDb | undefined;
  if (opts.db) {
    const engineDb = await startEngineDb(opts.db, {
      store, etcd: { endpoints: joined.store.endpoints, namespace: joined.store.namespace ?? '' },
      engineId: id, dir, address: opts.address ?? '127.0.0.1', guestHost: '127.0.0.1', log: log.child({ part: 'db' }),
    });
    db = engineDb;
    // after the VSs (the runtime's database target is its forwarder); close hands a primary over
    stack.push('database', () => engineDb.close(), { destroy: () => engineDb.destroy(), deadlineMs: DATABASE_STOP_MS });
  }
  const dbTarget = db?.forwarder();
  const part = await startEnginePart(stack, {
    engineId: id, dir, log,
    runtime: {
      want: opts.runtime ?? 'auto',
      ...(opts.bridge ? { bridge: opts.bridge } : {}), ...(opts.subnet ? { subnet: opts.subnet } : {}),
      ...(opts.address ? { processAddresses: fixedAddress(opts.address) } : {}),
      ...(dbTarget ? { database: dbTarget } : {}),
    },
    ...(opts.address ? { publishAddress: opts.address } : {}),
    agent: {
      store,
      fetchBlob: httpBlobFetcher({ dir: join(dir, 'blobs'), token: joined.token, controllers: () => controllers }),
      // the unpacked release is what runs; a new replica after a prune fetches it again
      dropBlob: (sha256) => rm(join(dir, 'blobs', `${sha256}.tar.gz`), { force: true }),
      leaseTtlSeconds: opts.leaseTtlSeconds ?? 2,
      ...(opts.capacity ? { capacity: opts.capacity } : {}),
      ...(opts.maxConcurrentStarts !== undefined ? { maxConcurrentStarts: opts.maxConcurrentStarts } : {}),
      ...(db?.member ? { databaseMember: true } : {}),
      apiUrl: api.url,
    },
    metrics: metrics !== undefined, stopDeadlineMs: AGENT_STOP_MS,
  });
  // where guests connect, for the controller (keys.dbForwarder): on namespace, the bridge's forwarder
  if (dbTarget && part.runtime.name === 'namespace') await store.put(keys.dbForwarder(id), JSON.stringify({ host: await bridgeAddress(dir), port: GUEST_DB_PORT }));
  parts.runtime = part.runtime;
  return { part, apiUrl: api.url, ...(db ? { db } : {}), ...(metrics ? { metrics } : {}) };
}

/** The agent's close: its VSs' grace (10 s by default, engine/agent.ts) and their SIGKILL. */
const AGENT_STOP_MS = 20_000;
/** Patroni hands a primary over, then Postgres checkpoints and stops. */
const DATABASE_STOP_MS = 30_000;

/** The namespace runtime's bridge address (its subnet's first), as chosen in <dir>/network.json. */
async function bridgeAddress(dir: string): Promise<string> {
  const { subnet } = JSON.parse(await readFile(join(dir, 'network.json'), 'utf8')) as { subnet: string };
  return subnet.replace(/\.0\/\d+$/, '.1');
}

/** Every VS on one address (the host's), told apart by port. */
function fixedAddress(address: string): AddressPool {
  return { acquire: () => address, release: () => {}, inUse: new Set<string>() };
}
