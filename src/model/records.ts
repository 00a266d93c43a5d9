// The farm's records as they are kept in the store (JSON values). Every part that
// reads or writes the store uses these shapes; keys.ts says where each one lives.

export type SiteKind = 'static' | 'app';

export interface Customer {
  id: string;
  name: string;
  createdAt: string;
}

/** A bearer token; only its sha256 is stored (the key), never the token itself. */
export interface TokenRecord {
  role: 'admin' | 'customer' | 'engine';
  /** Set for role 'customer'. */
  customer?: string;
  name: string;
  createdAt: string;
}

export interface Site {
  name: string;
  customer: string;
  domains: string[];
  kind: SiteKind;
  replicas: number;
  /** For app sites: the command run in the release directory, e.g. "node server.js". */
  command?: string;
  healthPath: string;
  env: Record<string, string>;
  /** The release that should be serving (desired state). */
  release?: string;
  /** The release that served before `release`, target of a rollback. */
  previousRelease?: string;
  /** How the router spreads requests over the site's servers; default round robin. */
  balance?: Balance;
  /** The router's limits for this site; absent fields are not limited beyond the router's own. */
  limits?: SiteLimits;
  /** Plain-HTTP requests get a 308 to the same URL over HTTPS (when the router has an HTTPS listener). */
  httpsRedirect?: boolean;
  /** The router's active checks: path defaults to healthPath, the rest to HealthCheck's defaults; `off: true` disables. */
  healthCheck?: Partial<HealthCheck> & { off?: boolean };
  /** The guest's resources (namespace runtime; the process runtime ignores them); absent fields: the engine's defaults. */
  resources?: SiteResources;
  /** Outbound policy of the guests (namespace runtime): 'none' (default) reaches nothing, 'engine' the engine's bridge address. */
  egress?: Egress;
  createdAt: string;
  updatedAt: string;
}

/** Per-site guest resources, enforced by the namespace runtime (cgroups, tmpfs, a loop-mounted data filesystem). */
export interface SiteResources {
  memoryMb?: number;
  /** CPU cap in cores, fractional (0.5 = half a core). */
  cpu?: number;
  pids?: number;
  /** Size of the guest's private /tmp. */
  tmpMb?: number;
  /** Quota of the site's data folder. */
  diskMb?: number;
}

export type Egress = 'none' | 'engine';

export interface Release {
  id: string;
  site: string;
  /** Sequence number within the site: 1, 2, 3 … */
  number: number;
  sha256: string;
  size: number;
  files: number;
  unpackedBytes: number;
  createdAt: string;
}

/** An engine's registration, attached to its lease. */
export interface EngineRecord {
  id: string;
  /** Runtime driver the engine uses for its virtual servers. */
  runtime: 'process' | 'namespace';
  capacity: { cpus: number; memoryMb: number; maxVirtualServers: number };
  startedAt: string;
  /** Set while the engine is being drained: the scheduler places nothing new on it. */
  draining?: boolean;
}

/** Desired state of one virtual server, written by the controller for one engine. */
export interface Assignment {
  vs: string;
  engine: string;
  site: string;
  customer: string;
  kind: SiteKind;
  release: string;
  /** sha256 of the release tarball, so the engine can fetch and verify it. */
  sha256: string;
  command?: string;
  healthPath: string;
  env: Record<string, string>;
  /** Static sites: domains served by the web runtime. */
  domains: string[];
  /** The site's guest resources and outbound policy (namespace runtime). */
  resources?: SiteResources;
  egress?: Egress;
  createdAt: string;
}

export type VsState = 'starting' | 'ready' | 'unhealthy' | 'crashed' | 'backoff' | 'stopping' | 'stopped';

/** Observed state of one virtual server, written by its engine under the engine's lease. */
export interface VsStatus {
  vs: string;
  engine: string;
  site: string;
  release: string;
  state: VsState;
  address?: string;
  port?: number;
  pid?: number;
  restarts: number;
  /** Last exit: code or signal, and whether it was an OOM kill. */
  lastExit?: { code: number | null; signal: string | null; at: string; oom?: boolean };
  updatedAt: string;
  /** The engine runtime running it (namespace runtime reports these three). */
  runtime?: 'process' | 'namespace';
  limits?: { memoryBytes: number; cpuWeight: number; cpuQuota: number; pidsMax: number; diskBytes: number };
  /** Sampled every ~15 s: cgroup memory, CPU time, pids, data folder bytes (du). */
  usage?: { memoryBytes: number; cpuUsec: number; pids: number; diskBytes: number; at: string };
}

export interface Endpoint {
  vs: string;
  address: string;
  port: number;
  release: string;
}

/** What the router needs for one site: its domains and the endpoints to balance over. */
export interface Route {
  site: string;
  domains: string[];
  endpoints: Endpoint[];
  /** Absent: round robin. In a Route, `weights` is keyed by VS name (resolved from engines). */
  balance?: Balance;
  limits?: SiteLimits;
  /** Active health checks of the endpoints; absent: none (passive ejection only). */
  health?: HealthCheck;
  /** From the site: plain HTTP → 308 to HTTPS. */
  httpsRedirect?: boolean;
  updatedAt: string;
}

/** A site's TLS certificate (keys.certificate(site)): PEM chain and private key. The key never leaves the store but to the router. */
export interface CertificateRecord {
  site: string;
  cert: string;
  key: string;
  updatedAt: string;
}

/** Active health checks by the router. Defaults: every 2000 ms, 1000 ms timeout, rise 2, fall 3, any 2xx–3xx. */
export interface HealthCheck {
  path: string;
  intervalMs?: number;
  timeoutMs?: number;
  /** Successes in a row that bring a down endpoint back. */
  rise?: number;
  /** Failures in a row that mark an endpoint down. */
  fall?: number;
  /** The one status that counts as healthy; default any 2xx or 3xx. */
  expectStatus?: number;
}

/** Per-site request limits, enforced by each router process. */
export interface SiteLimits {
  /** Request header section (names, values, separators): more → 431. */
  maxHeaderBytes?: number;
  /** Request body: a larger Content-Length → 413 at once; a longer chunked body is cut with 413. */
  maxBodyBytes?: number;
  /** Requests per second (token bucket, per router process); more → 429 with Retry-After. */
  requestsPerSecond?: number;
  /** Bucket size for requestsPerSecond; default the same number. */
  burst?: number;
}

export type BalancePolicy = 'round-robin' | 'least-conn' | 'weighted' | 'sticky' | 'hash';

/** A site's balancing policy (router). */
export interface Balance {
  policy: BalancePolicy;
  /** hash: what is hashed — the client IP (default), a request header or a cookie. */
  hashOn?: 'ip' | 'header' | 'cookie';
  /** hash on a header or cookie: its name; sticky: the cookie's name (default corral_sticky). */
  key?: string;
  /** weighted: weight (1–100) per engine id in a Site; per VS name in a Route. Unlisted: 1. */
  weights?: Record<string, number>;
}

/**
 * One entry of the audit trail (a state-changing API call: who did what, to what, with
 * which result) or a farm event (a VS crashed or was OOM-killed, an engine was lost, a
 * failover). Kept under keys.events with bounded retention.
 */
export interface FarmEvent {
  /** Sorts by time: zero-padded milliseconds, then a sequence. */
  id: string;
  at: string;
  type: 'audit' | 'farm';
  /** e.g. site.create, site.scale, release.upload, vs.crashed, vs.oom, engine.lost, failover. */
  action: string;
  /** Audit: who, e.g. "admin:admin" or "customer:acme:default"; "anonymous" without a valid token. */
  principal?: string;
  /** What it was done to, e.g. "site/www". */
  target?: string;
  /** The customer whose resource it concerns: that customer may read the event. */
  customer?: string;
  site?: string;
  engine?: string;
  vs?: string;
  result?: 'ok' | 'error';
  /** Audit: the HTTP status answered. */
  status?: number;
  message?: string;
}
