// buildController's options and the limits it applies, with their defaults.

import { DEFAULT_BODY_IDLE_MS, DEFAULT_CONNECTIONS_PER_ADDRESS, DEFAULT_HEADERS_TIMEOUT_MS } from './upload-guard.ts';
import type { Logger } from '../lib/log.ts';
import type { ReleaseLimits, SiteStatsPoint } from '../model/index.ts';
import { DEFAULT_TAR_LIMITS, type TarLimits } from '../lib/tarball.ts';
import type { Registry } from 'prom-client';
import type { Store } from '../store/types.ts';
import type { BlobStore } from './blob-store.ts';
import type { DatabaseSecrets } from './database-secrets.ts';
import type { EventRetention } from './event-log.ts';
import type { Readable } from 'node:stream';

export type { BlobStore };

/**
 * The router's access lines of a site, each starting with its ISO time (lib/stamped-line.ts),
 * by the site's storage key (its id; its name for a site without one): a site re-created
 * under the name reads none of the old one's.
 */
export interface RouterLogs {
  /** The last `lines` lines, oldest first. */
  tail(siteKey: string, lines: number): Promise<string[]>;
  /** Each new line until stop() is called (files that appear later included). */
  follow(siteKey: string, onLine: (line: string) => void): () => void;
}
/**
 * The VSs' output on this machine, for `corral logs`. Declared here so the controller needs
 * no engine code; the engine's reader (`createEngineLogs` in src/engine) fits it, and the
 * assembly point (src/cli/farm.ts) passes it in.
 */
export interface EngineLogs {
  /** The VS logs on this engine, optionally only a site's. */
  listVsLogs(site?: string): Promise<VsLogInfo[]>;
  /** The last `lines` lines of a VS's output (across one rotation); [] if it has none. */
  tail(vs: string, lines: number): Promise<string[]>;
  /** Each new line of a VS's output, until stop() is called (fromStart: the current file's lines first). Waits for a log that does not exist yet. */
  follow(vs: string, onLine: (line: string) => void, opts?: { fromStart?: boolean }): () => void;
}

export interface VsLogInfo {
  vs: string;
  /** The site, when the engine recorded it. */
  site?: string;
  /** The site's id, when the engine recorded it (a site deleted and created again under its name has another). */
  siteId?: string;
  file: string;
  /** Size of the current file (not counting `.1`). */
  bytes: number;
  updatedAt: string;
}

export type TarballLimits = Partial<TarLimits>;

export interface ControllerLimits {
  /** Largest release tarball accepted (compressed, `--max-release-size`), default 100 MiB; larger → 413. */
  maxReleaseBytes?: number;
  /** Largest unpacked release accepted (`--max-release-unpacked`), default 1 GiB; larger → 413 tarball_too_large. */
  maxUnpackedBytes?: number;
  /** Largest JSON body, default 1 MiB. */
  maxJsonBytes?: number;
  /** Passed to inspectTarball (unpacked size, entries, expansion ratio); its defaults otherwise. */
  tarball?: TarballLimits;
  /**
   * Releases kept per site, default 20: a new one beyond deletes the oldest (never the one served
   * nor the previous one, rollback's); their tarballs go with the blob collector. Without it a
   * customer could keep any number of 100 MiB releases, every one in every backup.
   */
  maxReleasesPerSite?: number;
  /** How long a request body may send nothing before the connection gets 408 and is closed, default 30 s (upload-guard.ts); 0: never. */
  bodyIdleMs?: number;
  /** How long a client has to send a request's headers, default 10 s (upload-guard.ts); then its connection closes. */
  headersTimeoutMs?: number;
  /**
   * Open API connections per client address, default 256 (upload-guard.ts); more are closed
   * at accept. 0: no limit (an API behind a proxy of the operator's: every client is its address).
   */
  maxConnectionsPerAddress?: number;
}

export interface ControllerOptions {
  store: Store;
  blobs: BlobStore;
  /** Reads the virtual servers' logs; without it the logs route answers 501. */
  engineLogs?: EngineLogs;
  /** Reads the router's per-site access lines (`corral logs --source router`); without it only the VSs' output is served. */
  routerLogs?: RouterLogs;
  log?: Logger;
  limits?: ControllerLimits;
  /** GET /metrics: the registry to serve (default the controller's own) and whether it needs no token (default: admin token). */
  metrics?: { registry?: Registry; open?: boolean };
  /** The built web console (console/dist), served under /console; without it /console is 404. */
  consoleDir?: string;
  /** Memory and CPU time of a virtual server, where the controller can see them (same host). */
  vsUsage?: (vs: { engine: string; pid?: number }) => { memoryBytes: number; cpuSeconds: number } | undefined;
  /** Runs a command inside a virtual server (POST /v1/vs/:name/exec, admin only); 501 without. */
  vsExec?: (vs: { vs: string; engine: string }, argv: string[], timeoutMs?: number) => Promise<{ stdout: string; stderr: string; code: number }>;
  /** A site's recent traffic as the router measured it (GET /v1/sites/:name/stats); 501 without. */
  siteStats?: SiteStatsReader;
  /** Audit and farm events kept in the store per bucket, oldest dropped first (event-log.ts): farm and admin 2000, each customer 500, anonymous callers 500. */
  eventRetention?: Partial<EventRetention>;
  /** Cluster mode: copy an uploaded release blob to another controller before the upload is acknowledged. */
  replicateBlob?: (blob: { sha256: string; size: number; path: string }) => Promise<void>;
  /**
   * Domains customers may not claim (an admin may): the farm's own names and the operator's
   * `--reserved-domains`; `x` is that name, `*.x` every name below x (domain-rules.ts).
   */
  reservedDomains?: readonly string[];
  /** Cluster mode: what POST /v1/join hands to engines and routers; without it joining answers 501. */
  cluster?: ClusterInfo;
  /** GET /v1/backup: farm-folder files to carry (those present), and cluster mode's fetch of a blob this controller lacks. */
  backup?: BackupSources;
  /** The database service (`/v1/databases`); without it those routes answer 501 databases_unavailable. */
  databases?: DatabaseOptions;
  /** New static sites are pooled unless the request says `pooled: false`; default true (`--no-static-pools`: false). */
  staticPools?: boolean;
  /**
   * The most virtual servers a customer's own token may ask for across its sites (`--customer-max-vs`):
   * each site's replicas (an autoscaled one's maxReplicas), pooled static sites none. 0: no limit.
   * Default DEFAULT_CUSTOMER_MAX_VS. An admin may give more.
   */
  customerMaxVs?: number;
}

/** A customer's own servers at most, unless the operator says otherwise: a quarter of `corral up`'s engine. */
export const DEFAULT_CUSTOMER_MAX_VS = 16;

export interface BackupSources {
  /** e.g. `{ root: <dir>, paths: ['tls/dev.crt', 'tls/dev.key'] }`. */
  files?: { root: string; paths: readonly string[] };
  /** Fetches a blob from another controller into this one's blob store; false when none has it. */
  fetchBlob?: (sha256: string) => Promise<boolean>;
}

export interface DatabaseOptions {
  service: DatabaseService;
  /** Seals the passwords kept in the store (database-secrets.ts). */
  secrets: DatabaseSecrets;
  /**
   * PostgreSQL runs on the engines started with `--db` (a farm on etcd), not beside the
   * controller: a create is refused at once (no_database_engine) while no engine's record
   * says it runs a member, rather than waiting a minute for a primary that cannot come.
   */
  onEngines?: boolean;
}

/**
 * What the controller asks of PostgreSQL, by each database's name inside it (an opaque id).
 * Declared here so the controller needs no database code; src/database's DbAdmin fits it and
 * the assembly point passes it in (one host: `corral up`; cluster mode: the Patroni primary).
 */
export interface DatabaseService {
  create(pgName: string, connectionLimit: number, login: { user: string; password: string }): Promise<void>;
  drop(pgName: string, users: string[]): Promise<void>;
  addLogin(pgName: string, login: { user: string; password: string }): Promise<void>;
  dropLogin(pgName: string, user: string): Promise<void>;
  setConnectionLimit(pgName: string, limit: number): Promise<void>;
  sizes(pgNames: string[]): Promise<Map<string, number>>;
  setReadOnly(pgName: string, on: boolean): Promise<void>;
  dump(pgName: string): { stream: Readable; done: Promise<void> };
  restore(pgName: string, connectionLimit: number, archive: string): Promise<void>;
}

export interface ClusterInfo {
  /** The shared store engines and routers connect to. */
  store: { kind: 'etcd'; endpoints: string[]; namespace?: string };
  /** API URLs of the live controllers (blob sources). */
  controllers: () => Promise<string[]>;
}

export interface ResolvedLimits {
  maxReleaseBytes: number;
  maxJsonBytes: number;
  maxReleasesPerSite: number;
  bodyIdleMs: number;
  headersTimeoutMs: number;
  maxConnectionsPerAddress: number;
  tarball: TarballLimits;
  /** The size limits an upload is accepted under, recorded in its release (Release.limits) for the engines. */
  release: ReleaseLimits;
}

export function resolveLimits(limits: ControllerLimits = {}): ResolvedLimits {
  const maxReleaseBytes = limits.maxReleaseBytes ?? DEFAULT_TAR_LIMITS.maxCompressedBytes;
  // The tarball's compressed-size limit follows the upload limit unless set on its own.
  const tarball = { maxCompressedBytes: maxReleaseBytes, ...limits.tarball, ...(limits.maxUnpackedBytes !== undefined ? { maxUnpackedBytes: limits.maxUnpackedBytes } : {}) };
  return Object.freeze({
    maxReleaseBytes,
    maxJsonBytes: limits.maxJsonBytes ?? 1024 * 1024,
    maxReleasesPerSite: limits.maxReleasesPerSite ?? 20,
    bodyIdleMs: limits.bodyIdleMs ?? DEFAULT_BODY_IDLE_MS,
    headersTimeoutMs: limits.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS,
    maxConnectionsPerAddress: limits.maxConnectionsPerAddress ?? DEFAULT_CONNECTIONS_PER_ADDRESS,
    tarball,
    release: { maxCompressedBytes: tarball.maxCompressedBytes, maxUnpackedBytes: tarball.maxUnpackedBytes ?? DEFAULT_TAR_LIMITS.maxUnpackedBytes },
  });
}

export type SiteStatsReader = (site: string, seconds: number, stepSeconds: number) => SiteStatsPoint[];
