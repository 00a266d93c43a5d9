// The one-machine farm behind `corral up`: a SQLite store, the controller (API and
// reconciler), one engine agent with the best runtime available, and the router,
// all in this process; virtual servers are child process groups.
//
// Start order: store → admin token → controller API → reconciler → engine → router, the
// farm node's (cluster/farm-node.ts). Stop order is the reverse (lib/shutdown-stack.ts, each
// step with a deadline), so nothing serves traffic from a half-stopped farm.

import { chmod, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { keys } from '../model/index.ts';
import { openSqliteStore } from '../store/index.ts';
import { hostNamesOf, openDatabaseSecrets, startBackupSchedule, type AcmeSettings, type ControllerLimits } from '../controller/index.ts';
import { createDbAdmin, openPostgres, PostgresMissingError, PostgresStartError, type DbAdmin, type PostgresServer } from '../database/index.ts';
import type { Store } from '../store/index.ts';
import { createEngineLogs, execInVs, type Runtime, type RuntimeChoice, processUsage } from '../engine/index.ts';
import { BACKUP_FILES, createRouterLogs, holdRouterBoot, openControllerPart, startEnginePart, startFarmNode, startLeaderWork, startRouterPart, type BuiltRouter, type RouterPartOptions } from '../cluster/index.ts';
import type { RouterOptions, SiteStats } from '../router/index.ts';
import type { Registry } from 'prom-client';
import { farmRouterOptions, routerLogDir, STOP_DRAIN_MS } from './farm-router.ts';
import { watchFarmFeed } from './farm-feed.ts';
import { untilSitesServing } from './sites-serving.ts';
import { farmMetricsRegistry } from './farm-metrics.ts';
import { devCertDomains } from './dev-cert.ts';
import { logger, type Logger } from '../lib/log.ts';
import { hostId } from '../lib/host-id.ts';
import type { ShutdownStack } from '../lib/shutdown-stack.ts';
import { writeFileAtomic } from '../lib/atomic-file.ts';

export interface FarmOptions {
  dir: string;
  httpPort: number;
  apiPort: number;
  /** Address both listeners bind to. */
  host: string;
  engineId?: string;
  log?: Logger;
  drainDelayMs?: number;
  /** Serve /metrics without a token (default: admin token). */
  openMetrics?: boolean;
  /** The built web console; default console/dist of this package. */
  consoleDir?: string;
  /** The engine's runtime: `auto` (default) takes namespace where the machine allows, else process. */
  runtime?: RuntimeChoice;
  /** Router worker processes (default one per core); 1 runs the router in this process; more report their stats to this one. */
  routerWorkers?: number;
  /** The router's workers, already booting (bootFarmRouterWorkers with farmRouterOptions of these options): `corral up` starts them before it loads the farm. The farm owns them from here. */
  routerBoot?: Promise<BuiltRouter>;
  /** The router's options (farmRouterOptions of these options) when the caller made them already, for routerBoot: made once. */
  routerOptions?: RouterPartOptions;
  /** Write one JSON access line per proxied request (part "access"). */
  accessLog?: boolean;
  /** The proxies in front of the router (addresses, CIDR blocks): only they may pass X-Forwarded-* and Forwarded on. Default none. */
  trustedProxies?: readonly string[];
  /** The router's held requests per idle site and their longest wait (`--wake-queue`, `--wake-timeout`); default the router's. */
  wake?: Pick<RouterOptions, 'wakeQueue' | 'wakeTimeoutMs'>;
  /** How long an unreferenced release blob is kept after it was written (default 10 minutes). */
  blobGraceMs?: number;
  /** Most VSs starting at once on the engine (default max(2, cores)); the rest wait as `queued`. */
  maxConcurrentStarts?: number;
  /** The router's HTTPS port (0 = any); absent: no HTTPS. Uses <dir>/tls/dev.crt (made on first start) for names without a site certificate. */
  httpsPort?: number;
  /** Called with one plain line per meaningful event while the farm runs (farm-feed.ts); `corral up` prints them. */
  onLine?: (line: string) => void;
  /** Domains customers may not claim (`--reserved-domains`); the farm's own names (its host, the development certificate's) are added. */
  reservedDomains?: readonly string[];
  /** Most virtual servers the engine takes (`--max-vs`; default the engine's, 64). */
  maxVirtualServers?: number;
  /** The memory kept for the host and the overcommit (`--reserved-memory`, `--memory-overcommit`; default the engine's: src/model vs-memory.ts). */
  memory?: { reservedMemoryMb?: number; memoryOvercommit?: number };
  /** Scheduled farm backups (`--backup-every`, `--backup-keep`, `--backup-dir`). */
  backup?: { everyMs: number; keep: number; dir: string };
  /** Run the database service (PostgreSQL under <dir>/postgres) when its binaries are installed; default off (`corral up` turns it on). */
  databases?: boolean;
  /** How often sizes, quotas, scheduled backups and rotated logins are looked at (default 30 s). */
  databaseUpkeepMs?: number;
  /** New static sites are pooled (one shared VS per customer per engine) unless created with pooled false; default true (`--no-static-pools`: false). */
  staticPools?: boolean;
  /** `--customer-max-vs` (ControllerOptions.customerMaxVs). */
  customerMaxVs?: number;
  /** `--api-connections-per-address` (ControllerLimits.maxConnectionsPerAddress). */
  apiConnectionsPerAddress?: number;
  /** `--max-release-size` and `--max-release-unpacked` (ControllerLimits); default 100 MiB and 1 GiB. */
  releaseSizes?: Pick<ControllerLimits, 'maxReleaseBytes' | 'maxUnpackedBytes'>;
  /** ACME for sites with tls auto (`--acme-*`); absent: no certificates are ordered. */
  acme?: AcmeSettings | undefined;
  /** The autoscaler's windows (`--scale-in-window`); default autoscaler.ts DEFAULT_AUTOSCALER_TIMING. */
  autoscale?: { stableWindowMs?: number; panicWindowMs?: number };
  /** Ctrl-C during start-up (`corral up`): what has started is stopped through the farm's stack and startFarm rejects with the signal's reason (cluster/farm-node.ts). */
  signal?: AbortSignal;
}

/** Ctrl-C: every VS gets this long, all at once, to exit on SIGTERM (after the router's drain, farm-router.ts STOP_DRAIN_MS): `corral up` stops within 3 s. */
const STOP_GRACE_MS = 1_500;
/** Beyond a step's own budget (the router's drain, the VSs' grace), before the stop goes on without it. */
const STEP_SLACK_MS = 2_000;
/** PostgreSQL's stop (a checkpoint first) may take a while; a hang is left behind after this. */
const DATABASE_STOP_MS = 30_000;
const DEFAULT_CONSOLE_DIR = fileURLToPath(new URL('../../console/dist', import.meta.url));

export interface Farm {
  dir: string;
  routerUrl: string;
  /** The HTTPS listener (HTTP/2 and HTTP/1.1), when httpsPort was given. */
  routerHttpsUrl?: string;
  apiUrl: string;
  consoleUrl: string;
  tokenFile: string;
  adminToken: string;
  tokenCreated: boolean;
  engineId: string;
  runtime: string;
  /** Why this runtime, when it is not the isolated one asked for (a fallback, no seccomp filter). */
  runtimeWarning?: string;
  /** The database service: PostgreSQL's port and system user, or why there is none (one line). */
  database?: { port: number; osUser: string } | { unavailable: string };
  /** Waits until every site that should serve has a ready endpoint (after a restart), at most timeoutMs; the sites still starting; returns at once when signal aborts. */
  untilServing(timeoutMs: number, signal?: AbortSignal): Promise<string[]>;
  close(): Promise<void>;
}

export async function startFarm(opts: FarmOptions): Promise<Farm> {
  const dir = resolve(opts.dir);
  const log = opts.log ?? logger('farm');
  const partLog = (part: string): Logger => (opts.log ? opts.log.child({ part }) : logger(part));
  const engineId = opts.engineId ?? hostId('engine');
  // filled at the engine and router steps; the controller asks them on each call
  const later: LaterParts = {};
  let routerBoot: ReturnType<typeof holdRouterBoot> | undefined;
  const node = await startFarmNode({
    log, dir, holdYoungWhenQuiet: true, ...(opts.signal ? { signal: opts.signal } : {}),
    async store(stack) {
      // until the router step takes them, booted workers are stopped with whatever failed
      routerBoot = holdRouterBoot(stack, opts.routerBoot);
      const store = await openSqliteStore(join(dir, 'store.db'));
      stack.push('store', () => store.close());
      // the store holds site TLS private keys (certificates/): owner-only, like every key file
      for (const f of ['store.db', 'store.db-wal', 'store.db-shm']) await chmod(join(dir, f), 0o600).catch(() => undefined);
      return store;
    },
    controller: ({ stack, store }) => startFarmController(stack, store, { dir, engineId, opts, log, partLog, later }),
    async engine({ stack, store, controller: { blobs, db } }) {
      const dbTarget = db?.service?.server.guestEndpoint('process');
      const part = await startEnginePart(stack, {
        engineId, dir: join(dir, 'engine'), log: partLog('engine'), runtimeLog: partLog('runtime'),
        runtime: { want: opts.runtime ?? 'auto', ...(dbTarget ? { database: dbTarget } : {}) },
        agent: {
          store, closeGraceMs: STOP_GRACE_MS,
          fetchBlob: async (sha256) => blobs.path(sha256),
          ...(opts.maxConcurrentStarts !== undefined ? { maxConcurrentStarts: opts.maxConcurrentStarts } : {}),
          capacity: { ...(opts.maxVirtualServers !== undefined ? { maxVirtualServers: opts.maxVirtualServers } : {}), ...opts.memory },
        },
        metrics: true, stopDeadlineMs: STOP_GRACE_MS + STEP_SLACK_MS,
      });
      later.runtime = part.runtime;
      return part;
    },
    // table and certificates in, then listening; its record (GET /v1/routers, `corral drill`) last
    async router({ stack, store }) {
      const routerOpts = opts.routerOptions ?? await farmRouterOptions(dir, opts, partLog);
      const router = await startRouterPart(stack, store, { ...routerOpts, stopDeadlineMs: STOP_DRAIN_MS + STEP_SLACK_MS }, routerBoot?.take());
      if (router.siteStats) later.siteStats = router.siteStats;
      later.metricsRegistry = router.registry;
      return router;
    },
    async last({ stack, store, controller: { apiUrl }, router: { url: routerUrl } }) {
      if (opts.onLine) {
        const stopFeed = await watchFarmFeed(store, opts.onLine);
        stack.push('farm feed', stopFeed);
      }
      await writeFileAtomic(join(dir, 'api-url'), `${apiUrl}\n`, { mode: 0o600 });
      await writeFileAtomic(join(dir, 'router-url'), `${routerUrl}\n`, { mode: 0o600 });
      stack.push('url files', async () => { await rm(join(dir, 'api-url'), { force: true }); await rm(join(dir, 'router-url'), { force: true }); });
    },
  });
  const { store, stack, controller: { admin, apiUrl, db }, engine: { runtime, warning: runtimeWarning }, router: { url: routerUrl, httpsUrl: routerHttpsUrl } } = node;
  return {
    dir, routerUrl, ...(routerHttpsUrl ? { routerHttpsUrl } : {}), apiUrl, consoleUrl: `${apiUrl}/console/`, engineId, runtime: runtime.name, ...(runtimeWarning ? { runtimeWarning } : {}),
    ...(db ? { database: db.state } : {}),
    tokenFile: join(dir, 'admin-token'), adminToken: admin.token, tokenCreated: admin.created,
    untilServing: (timeoutMs, signal) => untilSitesServing(store, routerUrl, timeoutMs, signal),
    close: () => stack.close(),
  };
}

/** What the controller reaches in parts started after it (one process): the engine's runtime, the router's figures. */
interface LaterParts {
  runtime?: Runtime;
  siteStats?: SiteStats;
  metricsRegistry?: () => Registry;
}

interface FarmControllerContext {
  dir: string;
  engineId: string;
  opts: FarmOptions;
  log: Logger;
  partLog: (part: string) => Logger;
  later: LaterParts;
}

/**
 * The controller part and what `corral up` starts around it: the database service and the
 * backup schedule before the API, the leader's work (the sole controller leads) after it.
 */
async function startFarmController(stack: ShutdownStack, store: Store, { dir, engineId, opts, log, partLog, later }: FarmControllerContext) {
  const controller = await openControllerPart(stack, store, { dir, adminToken: { replaceLost: true }, blobGcLog: partLog('blob-gc'), ...(opts.blobGraceMs !== undefined ? { blobGraceMs: opts.blobGraceMs } : {}) });
  const { admin, blobs } = controller;

  const db = opts.databases ? await startDatabaseService(dir, store, partLog('database')) : undefined;
  if (db?.service) stack.push('database service', db.service.close, { deadlineMs: DATABASE_STOP_MS });
  if (db && 'unavailable' in db.state) log.warn({ event: 'database.unavailable' }, db.state.unavailable);
  const databases = db?.service ? { service: db.service.admin, secrets: await openDatabaseSecrets(dir) } : undefined;

  const backupFiles = { root: dir, paths: BACKUP_FILES };
  if (opts.backup) {
    // a scheduled backup dumps every database afresh, as `corral backup` does
    const schedule = startBackupSchedule({ source: { store, blobs, files: backupFiles, ...(databases ? { databases: databases.service } : {}) }, ...opts.backup, log: partLog('backup') });
    stack.push('backup schedule', () => schedule.close());
  }

  const engineLogs = createEngineLogs(join(dir, 'engine'));
  const { apiUrl } = await controller.startApi({
    engineLogs, routerLogs: createRouterLogs(routerLogDir(dir)), log: partLog('controller'),
    metrics: { registry: farmMetricsRegistry(() => later.metricsRegistry?.()), open: opts.openMetrics === true },
    consoleDir: opts.consoleDir ?? DEFAULT_CONSOLE_DIR,
    reservedDomains: [...devCertDomains(), ...hostNamesOf([opts.host]), ...(opts.reservedDomains ?? [])],
    backup: { files: backupFiles },
    ...(databases ? { databases } : {}),
    staticPools: opts.staticPools !== false,
    ...(opts.customerMaxVs !== undefined ? { customerMaxVs: opts.customerMaxVs } : {}),
    limits: { ...(opts.apiConnectionsPerAddress !== undefined ? { maxConnectionsPerAddress: opts.apiConnectionsPerAddress } : {}), ...opts.releaseSizes },
    siteStats: (site, seconds, step) => later.siteStats?.series(site, seconds, step) ?? [],
    vsUsage: (v) => (v.engine === engineId && v.pid !== undefined ? processUsage(v.pid) : undefined),
    // One process: the controller reaches this engine's runtime directly.
    vsExec: (v, argv, timeoutMs) => execInVs(v.engine === engineId ? later.runtime : undefined, v.vs, argv, timeoutMs),
  }, { port: opts.apiPort, host: opts.host });

  // one controller here: it is the leader (reconciler, databases' upkeep, ACME orders)
  const leader = await startLeaderWork({
    store, blobs, partLog,
    reconciler: { ...(opts.drainDelayMs !== undefined ? { drainDelayMs: opts.drainDelayMs } : {}), ...(opts.autoscale ? { autoscale: opts.autoscale } : {}) },
    ...(databases ? { databases } : {}),
    ...(opts.databaseUpkeepMs !== undefined ? { upkeepMs: opts.databaseUpkeepMs } : {}),
    ...(opts.acme ? { acme: opts.acme } : {}),
  });
  stack.push('leader work', () => leader.close());
  return { admin, blobs, apiUrl, db };
}


interface DatabaseService {
  server: PostgresServer;
  admin: DbAdmin;
  close: () => Promise<void>;
}

/**
 * PostgreSQL under <dir>/postgres — started now when the farm has databases, else with the
 * first one — or the one line saying why there is none (the farm runs on without databases).
 */
async function startDatabaseService(dir: string, store: Store, log: Logger): Promise<{ service?: DatabaseService; state: NonNullable<Farm['database']> }> {
  try {
    const server = await openPostgres({ dir, log });
    const admin = createDbAdmin(server);
    const close = async () => {
      await admin.close();
      await server.close();
    };
    const service = { server, admin, close };
    // the farm has databases: start now, before any server of a site bound to one; a failure
    // is reported and retried by the next database operation, and sites without databases serve on
    if ((await store.range(keys.databases)).kvs.length > 0) {
      const failed = await server.ready().then(() => undefined, (err: unknown) => err as Error);
      if (failed) return { service, state: { unavailable: `PostgreSQL did not start: ${failed.message}` } };
    }
    return { service, state: { port: server.port, osUser: server.osUser } };
  } catch (err) {
    if (err instanceof PostgresMissingError || err instanceof PostgresStartError) return { state: { unavailable: err.message } };
    throw err;
  }
}
