// The farm's records as they are kept in the store (JSON values). Every part that
// reads or writes the store uses these shapes; keys.ts says where each one lives.

import type { BalancePolicy } from './balance-policies.ts';

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
  /** Immutable random id given at creation (site-id.ts); storage on engines is keyed by it. Absent on sites from older stores (keyed by name). */
  id?: string;
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
  /** The router's active checks, besides the engine's (which always run): absent or `off: true`, none; else path defaults to healthPath, the rest to HealthCheck's defaults. */
  healthCheck?: Partial<HealthCheck> & { off?: boolean };
  /** The guest's resources (namespace runtime; the process runtime ignores them); absent fields: the engine's defaults. */
  resources?: SiteResources;
  /** Outbound policy of the guests (namespace runtime): 'none' (default) reaches nothing, 'engine' the engine's bridge address. */
  egress?: Egress;
  /** While `on`, the router answers 503 with the maintenance page (clients in `allowIps` still reach the site). */
  maintenance?: Maintenance;
  /** The site's own HTML pages for the errors the router answers for it, by status ("502" …). */
  errorPages?: ErrorPages;
  /** The router's retries for this site: per-try timeout, retry budget, most tries; absent fields: the router's defaults. */
  retry?: RouteRetry;
  /**
   * Deploys, rollbacks, scale-downs: how long a server that left the route keeps its open
   * connections (WebSockets, long requests) before it is stopped, in ms (0–3 600 000).
   * Absent: DEFAULT_DRAIN_TIMEOUT_MS (src/controller/plan.ts).
   */
  drainTimeoutMs?: number;
  /**
   * How long a starting server has to pass its health check before its engine stops it and
   * starts it again, in ms (1 000–600 000). Absent: the engine's (30 s). A slow-booting app
   * (a JVM, a large Rails app) sets more.
   */
  startTimeoutMs?: number;
  /** The customer's database its servers get (DATABASE_URL, PG*) when they start. */
  database?: string;
  /** Certificates: 'auto' (ACME), 'manual' (uploaded) or 'off'. Absent: tlsModeOf's default (src/model/tls-mode.ts). */
  tls?: TlsMode;
  createdAt: string;
  updatedAt: string;
  /** HSTS on the site's HTTPS responses (off when absent); the redirect and HSTS wait for a valid certificate in the router. */
  hsts?: Hsts;
  /** Autoscaling (and scale to zero when minReplicas is 0): the replica count follows the routers' load; `replicas` is then not used. */
  autoscale?: Autoscale;
  /** Static sites: served by the customer's shared pool VS on each engine (src/controller/plan-pool.ts) instead of VSs of its own. */
  pooled?: boolean;
  /**
   * Static sites: a single-page app — a GET/HEAD for a page path that names no file gets the
   * release's /index.html with 200 (src/web-runtime/spa-fallback.ts). Kept only when true.
   */
  spa?: boolean;
}

/**
 * A site's autoscaling: between minReplicas and maxReplicas servers, sized so each
 * carries about targetConcurrency requests in flight (Knative's concurrency target).
 * With minReplicas 0, no request for idleTimeoutMs stops every server (scale to zero).
 */
export interface Autoscale {
  minReplicas: number;
  maxReplicas: number;
  /** In-flight requests (open WebSockets included) per VS the autoscaler aims at. Default DEFAULT_TARGET_CONCURRENCY. */
  targetConcurrency?: number;
  /** Only with minReplicas 0: how long without requests before the site scales to zero. Default DEFAULT_IDLE_TIMEOUT_MS. */
  idleTimeoutMs?: number;
}

/** Autoscaling defaults (src/controller/autoscale-rule.ts). */
export const DEFAULT_TARGET_CONCURRENCY = 10;
export const DEFAULT_IDLE_TIMEOUT_MS = 300_000;

/** The autoscaler's decision for one site (keys.scale): the replica count the plan uses while the site autoscales. */
export interface ScaleRecord {
  site: string;
  /** The site's id when it has one: a decision never carries over to a new site of the same name. */
  siteId?: string;
  replicas: number;
  /** Why, in words (also in the site's farm event). */
  reason: string;
  at: string;
  /** Last time any router saw a request or an open tunnel for the site (ms since the epoch). */
  lastActiveAt: number;
}

/**
 * Why some of a site's wanted servers are not placed (keys.siteUnplaced), written by the
 * leader's reconciler when the count or the reason changes and deleted once they are placed.
 */
export interface UnplacedRecord {
  site: string;
  /** The site's id when it has one: a record never carries over to a new site of the same name. */
  siteId?: string;
  /** How many of its servers wait. */
  count: number;
  /** Why, in words, e.g. `every engine is at its most virtual servers (3/3)`. */
  reason: string;
  /** Since when some of its servers have been waiting (the episode; a new count or reason keeps it). */
  since: string;
}

/** One router's per-site load (keys.routerLoad), written every second under its lease while it has any. */
export interface RouterLoadRecord {
  router: string;
  at: number;
  /** Site → figures over the last report interval (every worker of the router summed). */
  sites: Record<string, SiteLoadFigures>;
}

export interface SiteLoadFigures {
  /** Time-weighted mean of requests in flight plus open tunnels over the interval. */
  concurrency: number;
  /** The most in flight at once during the interval. */
  peak: number;
  /** Requests begun during the interval. */
  requests: number;
  /** In flight (requests, tunnels, held requests) when the report was taken. */
  open: number;
}

/**
 * What a late load report (its sender alive but slow: a loaded machine) still says, per
 * site: what it had open is open until it says otherwise — a WebSocket does not close
 * because its router reported late — counted as that much concurrency, nothing begun. Its
 * sender's death removes the report (a router's lease, a worker's exit), not its age.
 */
export function stillOpen(sites: Readonly<Record<string, SiteLoadFigures>>): Record<string, SiteLoadFigures> {
  const out: Record<string, SiteLoadFigures> = {};
  for (const [site, f] of Object.entries(sites)) if (f.open > 0) out[site] = { concurrency: f.open, peak: f.open, requests: 0, open: f.open };
  return out;
}

/** A router holds requests for an idle site and asks for it to be woken (keys.wake); the leader's autoscaler acts and deletes it. */
export interface WakeRecord {
  site: string;
  router: string;
  at: number;
}

/** A site's Strict-Transport-Security (RFC 6797): max-age in seconds (0: browsers forget it), includeSubDomains, preload. */
export interface Hsts {
  maxAgeSeconds: number;
  includeSubDomains?: boolean;
  preload?: boolean;
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

/** A site's maintenance mode (router): a 503 with Retry-After and `page` (HTML, or a default naming the domain). */
export interface Maintenance {
  on: boolean;
  /** HTML, at most 64 KiB of UTF-8. */
  page?: string;
  /** Client addresses (IPv4/IPv6, or CIDR blocks) that still reach the site, so its operator can check it. */
  allowIps?: string[];
}

/** The statuses the router itself answers for a known site; a site may give its own page for each. */
export const ERROR_PAGE_STATUSES = ['400', '413', '429', '431', '502', '503', '504'] as const;
export type ErrorPageStatus = (typeof ERROR_PAGE_STATUSES)[number];
/** HTML by status, each at most 64 KiB of UTF-8; `{{errorId}}` is replaced with the error's id. */
export type ErrorPages = Partial<Record<ErrorPageStatus, string>>;

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
  /**
   * The size limits the release was accepted under (the farm's `--max-release-size` and
   * `--max-release-unpacked` at its upload). Every engine unpacks it with these, whatever
   * its own machine's flags, so a release the farm accepted is one every engine unpacks,
   * and lowering the limits later leaves it running. Absent on a release recorded before
   * they were: the defaults of that time (100 MiB, 1 GiB).
   */
  limits?: ReleaseLimits;
}

/** A release's size limits, in bytes (src/lib/tarball/limits.ts TarLimits, the two the operator sets). */
export interface ReleaseLimits {
  /** Largest release tarball (.tar.gz). */
  maxCompressedBytes: number;
  /** Largest unpacked release (the inflated tar stream: file contents, headers and padding). */
  maxUnpackedBytes: number;
}

/** An engine's registration, attached to its lease. */
/**
 * A `corral drill` fault for one engine (crash, partition, kill-vs) or controller (freeze:
 * its election and leader work stop, as a crashed leader's would) to act out for durationMs.
 */
export interface DrillFault {
  /** Unique per step: an engine or controller acts on each id once. */
  id: string;
  fault: 'crash' | 'partition' | 'kill-vs' | 'freeze';
  durationMs: number;
  /** kill-vs: the virtual server. */
  vs?: string;
  at: string;
}

/** A router registered under its lease (keys.router): where clients reach it. */
export interface RouterRecord {
  id: string;
  url: string;
  httpsUrl?: string;
  startedAt: string;
  /**
   * The router node's own API (`corral router --api-port`: its per-site access lines), which
   * the controllers of a farm on etcd call with the farm's admin token (src/cluster
   * router-api.ts). Absent in `corral up`, whose controller reads its router's folder directly.
   */
  apiUrl?: string;
}

export interface EngineRecord {
  id: string;
  /** Runtime driver the engine uses for its virtual servers. */
  runtime: 'process' | 'namespace';
  /**
   * What the engine offers. `reservedMemoryMb` (kept for the host) and `memoryOvercommit` set
   * what the scheduler may reserve of `memoryMb` for guests (vs-memory.ts memoryAllowanceMb);
   * a record without them (an older engine) is placed by its count of servers alone.
   */
  capacity: { cpus: number; memoryMb: number; maxVirtualServers: number; reservedMemoryMb?: number; memoryOvercommit?: number };
  startedAt: string;
  /** Set while the engine is being drained: the scheduler places nothing new on it. */
  draining?: boolean;
  /**
   * Set by the engine itself when it begins a graceful stop (Ctrl-C, SIGTERM, close()): the
   * record's deletion that follows is a stop (`engine.stopped`), not a loss. A record that
   * vanishes without it expired with its lease: a crash, a kill or a partition (`engine.lost`).
   */
  stoppingAt?: string;
  /**
   * Set when the engine runs a member of the farm's database cluster (`corral engine --db`):
   * on a farm of several hosts, PostgreSQL runs only there, so the controller creates a
   * database only while some engine's record says so.
   */
  database?: true;
  /**
   * Set by the engine itself when its guests reach the farm's database: its runtime has a
   * database target (`corral up`'s own PostgreSQL; `corral engine --db` or
   * `--db-forward-port` on a farm on etcd). Servers of a site bound to a database are placed
   * only on such engines (src/controller/scheduler.ts).
   */
  reachesDatabase?: true;
  /**
   * The engine's own API (`corral engine --api-port`: its VSs' logs and `vs exec`), which
   * the controllers of a farm on etcd call with the farm's admin token (src/cluster
   * engine-api.ts). Absent in `corral up`, whose controller reads its engine directly.
   */
  apiUrl?: string;
}

/** Desired state of one virtual server, written by the controller for one engine. */
export interface Assignment {
  vs: string;
  engine: string;
  site: string;
  /** The site's id (absent for a site without one): the engine keys the data folder by it. */
  siteId?: string;
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
  /** Static sites: the site's `spa` (a change rolls out new servers; a pool's entries carry their own). */
  spa?: boolean;
  /** The site's guest resources and outbound policy (namespace runtime). */
  resources?: SiteResources;
  egress?: Egress;
  /** The site's start deadline (`Site.startTimeoutMs`); absent: the engine's. */
  startTimeoutMs?: number;
  /** The site's database (`Site.database`): credentials of its current login. */
  database?: AssignmentDatabase;
  createdAt: string;
  /** A pooled static VS (src/engine/pool-unit.ts): one web runtime serving these sites of its customer, changed without a restart. */
  pool?: PoolTable;
}

/** The sites a pool VS serves: each one's release to serve (the engine swaps them in place). */
export interface PoolTable {
  sites: PoolSite[];
}

export interface PoolSite {
  site: string;
  siteId?: string;
  release: string;
  sha256: string;
  domains: string[];
  /** The site's `spa`: changed in the pool's table in place, for this site alone. */
  spa?: boolean;
}

/** queued: assigned, waiting for its release and a start slot of its engine (src/engine/README.md). */
export type VsState = 'queued' | 'starting' | 'ready' | 'unhealthy' | 'crashed' | 'backoff' | 'stopping' | 'stopped';

/** Observed state of one virtual server, written by its engine under the engine's lease. */
export interface VsStatus {
  vs: string;
  engine: string;
  site: string;
  /** The site's id, from the assignment (absent for a site without one). */
  siteId?: string;
  release: string;
  state: VsState;
  address?: string;
  port?: number;
  pid?: number;
  restarts: number;
  /** Last exit: code or signal, and whether it was an OOM kill. */
  /** startupTimeoutMs: the engine stopped it, not healthy within its start deadline (that long). */
  lastExit?: { code: number | null; signal: string | null; at: string; oom?: boolean; startupTimeoutMs?: number };
  updatedAt: string;
  /** The engine runtime running it (namespace runtime reports these three). */
  runtime?: 'process' | 'namespace';
  limits?: { memoryBytes: number; cpuWeight: number; cpuQuota: number; pidsMax: number; diskBytes: number };
  /** Sampled every ~15 s: cgroup memory, CPU time, pids, data folder bytes (du). */
  usage?: { memoryBytes: number; cpuUsec: number; pids: number; diskBytes: number; at: string };
  /** Protections the engine's runtime could not apply (e.g. 'seccomp'); absent: all of them are. */
  notEnforced?: string[];
  /** A pool VS: the sites its web runtime has loaded (site → release), confirmed by the runtime itself. */
  sites?: Record<string, string>;
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
  /**
   * The site's id (site-id.ts), when it has one: what the router keys the site's own files
   * by (its access lines), so a site re-created under the name, by any customer, inherits none.
   */
  siteId?: string;
  domains: string[];
  endpoints: Endpoint[];
  /** Absent: round robin. In a Route, `weights` is keyed by VS name (resolved from engines). */
  balance?: Balance;
  limits?: SiteLimits;
  /** Active health checks of the endpoints; absent: none (passive ejection only). */
  health?: HealthCheck;
  /**
   * The path the site's servers answer health checks on (checkedPath): the router probes it
   * when a request outlasts its default per-try timeout with no other sign of life from its
   * server (router/upstream/liveness.ts). Absent (routes of older controllers): no probe.
   */
  healthPath?: string;
  /** From the site: plain HTTP → 308 to HTTPS. */
  httpsRedirect?: boolean;
  /** From the site, only while it is on: the router answers 503 with its page. */
  maintenance?: Maintenance;
  /** From the site: its pages for the router's own error answers. */
  errorPages?: ErrorPages;
  /** From the site: per-try timeout, retry budget, most tries. */
  retry?: RouteRetry;
  /** From the site, when it sets one: the router keeps tunnels to an endpoint that left the route at least this long. */
  drainTimeoutMs?: number;
  /** Added by the router from keys.acmeChallenges (never stored in a route record): the site's pending ACME challenges. */
  acme?: RouteAcme;
  updatedAt: string;
  /** From the site: Strict-Transport-Security on HTTPS responses. */
  hsts?: Hsts;
  /** The site scales to zero and has no server now: the router holds its requests and asks for a wake (keys.wake). */
  idle?: boolean;
  /**
   * Requests one router process sends an endpoint at once; more wait at the router for one
   * to end (router/policy/endpoint-slots.ts). Set for pooled static sites, whose pool VS
   * (a memory limit of 128 MiB and 1 a site, shared by all its customer's sites) must not be flooded.
   */
  endpointMaxInFlight?: number;
}

/** A site's retry settings (router, per router process). Absent fields: the defaults below. */
export interface RouteRetry {
  /** Idempotent bodiless requests: each try gets this long for the response headers, then the next endpoint is tried. Default: the router's perTryTimeoutMs option (5 s). */
  perTryTimeoutMs?: number;
  /** Retries may add at most this fraction of the site's requests (10 s window). Default 0.2. */
  budgetRatio?: number;
  /** …plus this many retries in any second, whatever the ratio. Default 10. */
  minRetriesPerSecond?: number;
  /** Tries per request, the first included (1 = never retry). Default: the endpoint count, at least 2. */
  maxTries?: number;
}

/** A site's TLS certificate (keys.certificate(site)): PEM chain and private key. The key never leaves the store but to the router. */
export interface CertificateRecord {
  site: string;
  cert: string;
  key: string;
  updatedAt: string;
  /** Where it came from: 'acme' (issued by the farm) or 'upload' (absent: uploaded). */
  source?: 'acme' | 'upload';
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

export type { BalancePolicy };

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
  /** e.g. site.create, site.scale, release.upload, vs.crashed, vs.oom, vs.unhealthy, engine.lost, failover. */
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

/** One step of a site's traffic as the router measures it (router site-stats → controller → console). */
export interface SiteStatsPoint {
  /** Bucket start, ms since the epoch. */
  t: number;
  requests: number;
  /** Responses with status ≥ 500 (and requests cut off). */
  errors: number;
  /** Responses with a 4xx status (absent from routers that predate it). */
  clientErrors?: number;
  p50Ms?: number;
  p99Ms?: number;
}

/**
 * A customer's PostgreSQL database (keys.database). `pgName` is the database's name inside
 * PostgreSQL, and its owner group role: an opaque id, so nothing a customer can list in
 * PostgreSQL (pg_database, pg_roles, pg_stat_activity) names another customer or database.
 */
export interface DatabaseRecord {
  name: string;
  customer: string;
  pgName: string;
  /** Login roles, members of the group `pgName`; the last is current, older ones are dropped once no server uses them. */
  logins: DatabaseLogin[];
  /** Most connections at once (CONNECTION LIMIT). */
  connectionLimit: number;
  /** Size quota: above it the database is made read-only (default_transaction_read_only). */
  quotaMb: number;
  /** Last measured size. */
  sizeBytes?: number;
  measuredAt?: string;
  /** Set while over its quota. */
  readOnly?: boolean;
  /** Scheduled backups: every this many seconds, keeping the newest `keep`. */
  backup?: { everySeconds: number; keep: number };
  createdAt: string;
}

export interface DatabaseLogin {
  user: string;
  /** The password sealed with the controller's database key (never readable from the store alone). */
  sealedPassword: string;
  createdAt: string;
}

/** One backup of a database (keys.databaseBackup): a pg_dump custom-format archive in the blob store. */
export interface DatabaseBackup {
  id: string;
  database: string;
  customer: string;
  sha256: string;
  size: number;
  kind: 'manual' | 'scheduled';
  durationMs: number;
  createdAt: string;
}

/** What an engine needs to give a VS its database: the engine adds where it reaches PostgreSQL (PGHOST, PGPORT, DATABASE_URL). */
export interface AssignmentDatabase {
  /** The database's name in PostgreSQL. */
  name: string;
  user: string;
  password: string;
}

/** How a site gets its certificate: ACME ('auto'), an uploaded one ('manual'), or none: the router's default ('off'). */
export type TlsMode = 'auto' | 'manual' | 'off';

/**
 * A pending ACME challenge (keys.acmeChallenge(site, id)), written by the leading controller
 * while an order is validated and deleted after. The router answers it only for a Host of
 * that site's own domains (HTTP-01), or for that domain's SNI with the acme-tls/1 ALPN.
 */
export interface AcmeChallengeRecord {
  site: string;
  domain: string;
  type: 'http-01' | 'tls-alpn-01';
  /** HTTP-01: the token in /.well-known/acme-challenge/<token> and the body answered. */
  token?: string;
  keyAuthorization?: string;
  /** TLS-ALPN-01: the validation certificate (RFC 8737) and its key. */
  cert?: string;
  key?: string;
  createdAt: string;
}

/** A site's pending challenges as the router holds them on its route. */
export interface RouteAcme {
  /** token → key authorization. */
  http01?: Record<string, string>;
  /** domain → validation certificate and key. */
  tlsAlpn01?: Record<string, { cert: string; key: string }>;
}

/** A site's certificate state (keys.certStatus(site)), written by the leading controller's ACME issuer. */
export interface CertStatusRecord {
  site: string;
  /** pending: no certificate yet; valid: issued and current; renewing; failed: the last try failed (an older certificate may still serve). */
  state: 'pending' | 'valid' | 'renewing' | 'failed';
  /** The names ordered. */
  names: string[];
  issuer?: string;
  notAfter?: string;
  /** When the next renewal is due (valid), or the next try (failed). */
  nextAttemptAt?: string;
  lastError?: string;
  /** Tries failed in a row (0 after a success). */
  failures: number;
  /** Orders placed for this site so far (each one an order at the CA). */
  orders: number;
  updatedAt: string;
}
