// The runtime interface: how the engine agent runs one virtual server. `process`
// (any OS) and later `namespace` (Linux: namespaces + cgroups) implement it, and
// one contract suite (runtime.contract.ts) runs against each.

import type { SiteKind } from '../model/index.ts';

/** Everything a runtime needs to start one virtual server. */
export interface VsSpec {
  /** The VS's name: unique on the farm, a valid hostname label (e.g. "blog-3f9a1c"). */
  name: string;
  site: string;
  customer: string;
  kind: SiteKind;
  /** Unpacked release directory (read-only to the guest). */
  releaseDir: string;
  /** Writable per-site data directory. */
  dataDir: string;
  /** Per-VS log file (stdout and stderr). */
  logFile: string;
  /** App sites: shell command run in releaseDir. Static sites: ignored (the web runtime runs). */
  command?: string;
  /** Static sites: domains served (Host header → releaseDir). */
  domains: string[];
  /** Static sites: the site's single-page-app fallback (the web runtime's `spa`). */
  spa?: boolean;
  /** A pool VS (pool-unit.ts): the web runtime's table file, relative to releaseDir (the pool's directory); `domains` is then unused. */
  table?: string;
  healthPath: string;
  env: Record<string, string>;
  /** Limits (namespace runtime); the runtime's defaults fill what is missing. */
  limits?: Partial<VsLimitsSpec>;
  /** Outbound policy (namespace runtime): 'none' (default) answers the router only, 'engine' may connect to the engine's bridge address. */
  egress?: 'none' | 'engine';
  /** The site's database login (the assignment's): the runtime adds where its guests reach PostgreSQL (PGHOST, PGPORT, DATABASE_URL). */
  database?: { name: string; user: string; password: string };
}

/** Where an engine reaches the farm's PostgreSQL (the runtimes' `database` option). */
export interface DatabaseTarget {
  host: string;
  port: number;
}

/** Resource limits of one VS (enforced by the namespace runtime through cgroups). */
export interface VsLimitsSpec {
  memoryBytes: number;
  /** Relative CPU weight 1–10000, default 100. */
  cpuWeight: number;
  /** Hard cap in CPUs (0 = none). */
  cpuQuota: number;
  pidsMax: number;
  /** Size cap of the private /tmp. */
  tmpBytes: number;
  /** Data folder quota: the size of its loop-mounted ext4 filesystem (namespace runtime). */
  diskBytes: number;
}

/** What a runtime reports about one running VS for `corral vs list`. */
export interface VsInspect {
  runtime: 'process' | 'namespace';
  address: string;
  limits?: { memoryBytes: number; cpuWeight: number; cpuQuota: number; pidsMax: number; diskBytes: number };
  usage?: { memoryBytes: number; cpuUsec: number; pids: number; diskBytes: number };
  /** Protections this runtime could not apply on this engine (e.g. 'seccomp': the filter could not be built). */
  notEnforced?: string[];
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  code: number;
}

export interface ExitInfo {
  code: number | null;
  signal: string | null;
  oom: boolean;
}

/** A started virtual server, as the runtime reports it. */
export interface RunningVs {
  /** Address the router reaches it on, e.g. 127.77.0.5 (process) or 10.88.0.5 (namespace). */
  address: string;
  port: number;
  pid: number;
  /** Resolves once, when the VS's main process has exited. */
  exited: Promise<ExitInfo>;
}

export interface Runtime {
  readonly name: 'process' | 'namespace';
  /** Start the VS's main process. Resolves once it is spawned (not yet healthy). */
  start(spec: VsSpec): Promise<RunningVs>;
  /** Graceful stop: SIGTERM, wait up to graceMs, then SIGKILL. Resolves when it has exited. */
  stop(name: string, graceMs: number): Promise<void>;
  /** Kill everything this runtime left behind by an earlier run of the engine (pidfiles, namespaces…). */
  reapOrphans(): Promise<number>;
  /** Run a command inside a running VS as its uid (operators' `corral vs exec`); absent where unsupported. */
  exec?(name: string, argv: string[], opts?: { timeoutMs?: number }): Promise<ExecResult>;
  /** Change a running VS's memory limit in place (a pool growing or shrinking); absent where unsupported. */
  setMemoryLimit?(name: string, bytes: number): Promise<void>;
  /** Limits and usage of a running VS; absent where unsupported. */
  inspect?(name: string): Promise<VsInspect | undefined>;
  /**
   * Whether guests of sites with a database reach the database target this runtime was given,
   * once the runtime is set up: false without a target, or when the way to it could not be made
   * (the namespace runtime's forwarder on the bridge). Absent: as the target says.
   */
  reachesDatabase?(): Promise<boolean>;
  /** Stop everything immediately (SIGKILL). Safe to call twice. */
  destroy(): Promise<void>;
}
