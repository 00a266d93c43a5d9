// `corral controller`: one controller of a farm on etcd. Every controller serves the
// API and the blobs and registers its URL under a lease (keys.controller); the one
// elected leader (controller/leader.ts) also runs the reconciler and the databases'
// upkeep (sizes and quotas, scheduled backups, rotated logins). The database API speaks to
// the farm's Patroni cluster through ControllerNode.db; passwords are sealed with the key
// every controller shares (database-key.ts). The VSs' logs and `vs exec` are asked of each
// VS's engine, through its API (remote-engine-logs.ts, remote-vs-exec.ts); the router's
// access lines of every router node, through its API (remote-router-logs.ts).
//
// Start order: store → admin token, blobs and their collector (controller-part.ts) → the
// database server → API (listening) → registration → election, as the controller step of
// the farm node (farm-node.ts). Stop order is the reverse (lib/shutdown-stack.ts).

import { join, resolve } from 'node:path';
import { Registry } from 'prom-client';
import { hostNamesOf, leaderMetrics, metricsRegistry, startBackupSchedule, startLeaderElection, type AcmeSettings, type ControllerLimits, type LeaderElection } from '../controller/index.ts';
import { createDbAdmin } from '../database/index.ts';
import { logger, type Logger } from '../lib/log.ts';
import { hostId } from '../lib/host-id.ts';
import type { ShutdownStack } from '../lib/shutdown-stack.ts';
import { keys, parseDrillFault } from '../model/index.ts';
import { openEtcdStore, type Store } from '../store/index.ts';
import { blobPuller } from './blob-pull.ts';
import { blobPusher } from './blob-push.ts';
import { openFarmDatabaseKey } from './database-key.ts';
import { startClusterDbServer, type ClusterDbServer } from './db-server.ts';
import { register } from './registration.ts';
import { startLeaderWork, type LeaderWork, type LeaderWorkOptions } from './leader-work.ts';
import { BACKUP_FILES, openControllerPart } from './controller-part.ts';
import { startFarmNode } from './farm-node.ts';
import { engineDirectory } from './engine-directory.ts';
import { remoteEngineLogs } from './remote-engine-logs.ts';
import { remoteRouterLogs } from './remote-router-logs.ts';
import { remoteVsExec } from './remote-vs-exec.ts';
import type { StoreUrl } from './store-url.ts';

/** A leader whose reconcile passes have all failed for this long releases leadership. */
const RECONCILER_FAILING_MAX_MS = 10_000;

export interface ControllerNodeOptions {
  store: StoreUrl;
  dir: string;
  apiPort: number;
  host: string;
  /** Advertised API URL (default http://<host>:<port>). */
  url?: string;
  id?: string;
  /** Leader lease TTL, default 6 s (it must outlast an etcd failover; see controller/leader.ts). */
  leaderTtlSeconds?: number;
  /** Controller registration TTL, default 5 s. */
  registrationTtlSeconds?: number;
  /** Grace before the VSs of an engine whose lease expired are replaced; default 1 s (the lease TTL already waited). */
  engineLostGraceMs?: number;
  drainDelayMs?: number;
  /** The autoscaler's windows (`--scale-in-window`); default the autoscaler's. */
  autoscale?: { stableWindowMs?: number };
  /** How long an unreferenced release blob is kept after it was written (default 10 minutes, controller/blob-gc.ts). */
  blobGraceMs?: number;
  log?: Logger;
  /** Ctrl-C during start-up: what has started is stopped (close) and the start rejects (farm-node.ts). */
  signal?: AbortSignal;
  /** The farm's admin token, copied from the controller that created it (controller/admin-token.ts). */
  adminTokenFile?: string;
  /** Domains customers may not claim (the controller's own host name is added). */
  reservedDomains?: readonly string[];
  /** Scheduled farm backups, taken by the leader only (`--backup-every`, `--backup-keep`, `--backup-dir`). */
  backup?: { everyMs: number; keep: number; dir: string };
  /** ACME for sites with tls auto; the leader alone orders (its writes fenced). Absent: none. */
  acme?: AcmeSettings;
  /** The farm's database key, copied from the first controller's <dir>/database-key (default: the database-key beside adminTokenFile, if any; database-key.ts). */
  databaseKeyFile?: string;
  /** How often the leader looks at database sizes, schedules and rotated logins (default 30 s). */
  databaseUpkeepMs?: number;
  /** New static sites are pooled unless created with pooled false; default true (`--no-static-pools`: false). */
  staticPools?: boolean;
  /** `--customer-max-vs` (ControllerOptions.customerMaxVs). */
  customerMaxVs?: number;
  /** `--api-connections-per-address` (ControllerLimits.maxConnectionsPerAddress). */
  apiConnectionsPerAddress?: number;
  /** `--max-release-size` and `--max-release-unpacked` (ControllerLimits); default 100 MiB and 1 GiB. */
  releaseSizes?: Pick<ControllerLimits, 'maxReleaseBytes' | 'maxUnpackedBytes'>;
}

export interface ControllerNode {
  id: string;
  apiUrl: string;
  adminToken: string;
  tokenFile: string;
  store: Store;
  /** The farm's database cluster (Patroni) as the database management code sees it (db-server.ts). */
  db: ClusterDbServer;
  readonly isLeader: boolean;
  close(): Promise<void>;
  /** As on a crash: stop at once, revoke nothing (leases expire), no goodbye writes. */
  destroy(): Promise<void>;
}

export async function startControllerNode(opts: ControllerNodeOptions): Promise<ControllerNode> {
  const dir = resolve(opts.dir);
  const log = opts.log ?? logger('controller');
  const id = opts.id ?? `${hostId('controller', 30)}-${process.pid}`;
  // destroy(): as on a crash, leases are abandoned (they expire), nothing is revoked
  const node = await startFarmNode({
    log, dir, ...(opts.signal ? { signal: opts.signal } : {}),
    async store(stack) {
      const store = await openEtcdStore(opts.store.endpoints, opts.store.namespace ? { namespace: opts.store.namespace } : {});
      stack.push('store', () => store.close());
      return store;
    },
    controller: ({ stack, store }) => startController(stack, store, id, dir, opts, log),
  });
  const { admin, apiUrl, db, election } = node.controller;
  return {
    id, apiUrl, adminToken: admin.token, tokenFile: join(dir, 'admin-token'), store: node.store, db,
    get isLeader() {
      return election.isLeader;
    },
    close: () => node.stack.close(),
    destroy: () => node.stack.destroy(),
  };
}

/** The controller part and what this role starts around it: the database server, registration, election, drills, backups. */
async function startController(stack: ShutdownStack, store: Store, id: string, dir: string, opts: ControllerNodeOptions, log: Logger): Promise<{ admin: { token: string }; apiUrl: string; db: ClusterDbServer; election: LeaderElection }> {
  const controller = await openControllerPart(stack, store, {
    dir, blobGcLog: log.child({ part: 'blob-gc' }),
    ...(opts.adminTokenFile !== undefined ? { adminToken: { from: opts.adminTokenFile } } : {}),
    ...(opts.blobGraceMs !== undefined ? { blobGraceMs: opts.blobGraceMs } : {}),
  });
  const { admin, blobs } = controller;
  const db = await startClusterDbServer(store);
  stack.push('database server', () => db.close());
  const dbAdmin = createDbAdmin(db);
  stack.push('database admin', () => dbAdmin.close());
  const databases = { service: dbAdmin, onEngines: true, secrets: await openFarmDatabaseKey(store, dir, { ...(opts.databaseKeyFile !== undefined ? { from: opts.databaseKeyFile } : {}), ...(opts.adminTokenFile !== undefined ? { beside: opts.adminTokenFile } : {}) }) };
  // The reconciler's writes are fenced by the leader key this controller won.
  const fencing: { election?: LeaderElection } = {};
  // a backup through this controller fetches the blobs it lacks from its peers
  // (and dumps every database afresh, with the key that opens their passwords)
  const backupSource = { files: { root: dir, paths: BACKUP_FILES }, fetchBlob: blobPuller({ store, blobs, self: id, token: admin.token, onFailure: (peer, err) => log.warn({ event: 'blob.pull_failed', peer, err }, 'a blob could not be copied from a peer controller') }), databases: dbAdmin };
  const controllers = async () => (await store.range(keys.controllers)).kvs.map((kv) => (JSON.parse(kv.value) as { url: string }).url);
  // the VSs' output and `vs exec` come from each VS's own engine, the router's access lines from every router node, through their APIs
  const engines = engineDirectory(store);
  const { apiUrl } = await controller.startApi({
    log: log.child({ part: 'api' }),
    engineLogs: remoteEngineLogs({ directory: engines, token: admin.token, log: log.child({ part: 'engine-logs' }) }),
    routerLogs: remoteRouterLogs({ store, token: admin.token, log: log.child({ part: 'router-logs' }) }),
    vsExec: remoteVsExec(engines, admin.token),
    reservedDomains: [...(opts.reservedDomains ?? []), ...hostNamesOf([opts.host, opts.url])],
    replicateBlob: blobPusher({ store, self: id, token: admin.token }),
    cluster: { store: { kind: 'etcd', endpoints: opts.store.endpoints, ...(opts.store.namespace ? { namespace: opts.store.namespace } : {}) }, controllers },
    metrics: { registry: Registry.merge([metricsRegistry, leaderMetrics(() => fencing.election?.isLeader === true)]) },
    backup: backupSource,
    databases,
    staticPools: opts.staticPools !== false,
    ...(opts.customerMaxVs !== undefined ? { customerMaxVs: opts.customerMaxVs } : {}),
    limits: { ...(opts.apiConnectionsPerAddress !== undefined ? { maxConnectionsPerAddress: opts.apiConnectionsPerAddress } : {}), ...opts.releaseSizes },
  }, { port: opts.apiPort, host: opts.host, ...(opts.url !== undefined ? { url: opts.url } : {}) });

  const reg = await register(store, keys.controller(id), JSON.stringify({ id, url: apiUrl, startedAt: new Date().toISOString() }), opts.registrationTtlSeconds ?? 5, log);
  stack.push('registration', () => reg.close(), { destroy: () => reg.abandon() });

  const election = await startElection(stack, store, { id, apiUrl, opts, log, fencing, leaderWork: {
    store, blobs, partLog: (part) => log.child({ part }),
    reconciler: {
      engineLostGraceMs: opts.engineLostGraceMs ?? 0,
      ...(opts.drainDelayMs !== undefined ? { drainDelayMs: opts.drainDelayMs } : {}),
      ...(opts.autoscale ? { autoscale: opts.autoscale } : {}),
    },
    databases,
    replicateBlob: blobPusher({ store, self: id, token: admin.token }),
    ...(opts.databaseUpkeepMs !== undefined ? { upkeepMs: opts.databaseUpkeepMs } : {}),
    ...(opts.acme ? { acme: opts.acme } : {}),
    fence: () => fencing.election?.fence(),
  } });
  // `corral drill` freezes the leader as if it crashed (keys.drill('controller', id)).
  const drills = await store.watch(keys.drill('controller', id), (events) => {
    for (const e of events) {
      const f = e.type === 'put' ? parseDrillFault(e.kv.value) : undefined;
      if (f?.fault === 'freeze') election.freeze(f.durationMs);
    }
  });
  stack.push('drills', () => drills.close());
  if (opts.backup) {
    const schedule = startBackupSchedule({ source: { store, blobs, ...backupSource }, ...opts.backup, log: log.child({ part: 'backup' }), active: () => election.isLeader });
    stack.push('backup schedule', () => schedule.close());
  }
  return { admin, apiUrl, db, election };
}

interface ElectionContext {
  id: string;
  apiUrl: string;
  opts: ControllerNodeOptions;
  log: Logger;
  /** Set here once the election runs: the reconciler's writes are fenced by the key it won. */
  fencing: { election?: LeaderElection };
  /** What the leader's work starts with, on each election won. */
  leaderWork: LeaderWorkOptions;
}

/** Run for leader: the leader's work started when elected and stopped when demoted. */
async function startElection(stack: ShutdownStack, store: Store, { id, apiUrl, opts, log, fencing, leaderWork }: ElectionContext): Promise<LeaderElection> {
  let leading: LeaderWork | undefined;
  const stopLeading = async () => {
    const work = leading;
    leading = undefined;
    await work?.close();
  };
  const election: LeaderElection = await startLeaderElection({
    store, id, url: apiUrl, ttlSeconds: opts.leaderTtlSeconds ?? 6, log,
    onElected: async () => {
      leading = await startLeaderWork(leaderWork);
    },
    // A leader whose reconciler is gone or keeps failing cannot act: it hands the key over.
    healthy: () => leading !== undefined && leading.reconciler.failingForMs() < RECONCILER_FAILING_MAX_MS,
    onDemoted: stopLeading,
  });
  fencing.election = election;
  // close() resigns (onDemoted stops the leader's work); destroy() walks away from the key
  stack.push('leader election', () => election.close(), {
    destroy: async () => {
      election.abandon();
      await stopLeading();
    },
  });
  return election;
}
