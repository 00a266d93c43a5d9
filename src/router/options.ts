// The router's options: typed value → defaults → checks → frozen. Unknown keys are
// rejected so a misspelt option fails loudly instead of being ignored.

import { silentLogger, type Logger } from '../lib/log.ts';
import { RETRY_DEFAULTS } from '../model/retry-defaults.ts';
import type { CertificatePem } from './front/tls-certificates.ts';
import { trustedProxyError } from './policy/trusted-proxies.ts';

export interface RouterOptions {
  log?: Logger;
  /** Where one JSON line per answered request goes (access-log.ts); default none. */
  accessLog?: Logger | null;
  /** Per-site access lines go to <siteLogDir>/<site>/<siteLogName>.log (site-access-files.ts). Default none. */
  siteLogDir?: string | null;
  /** This router process's file name in siteLogDir. Default `router`. */
  siteLogName?: string;
  /** Record Prometheus series per site and endpoint (metrics.ts). Default false. */
  metrics?: boolean;
  /**
   * The proxies in front of the router (load balancers), as addresses or CIDR blocks: only
   * a client connecting from one of them may pass X-Forwarded-* and Forwarded on (they are
   * extended); anyone else's are replaced. Default none.
   */
  trustedProxies?: readonly string[];
  /** How long an endpoint whose connection failed is skipped, the first time; twice as long for each ejection in a row without an answer between (ejections.ts). Default 3000 ms. */
  ejectMs?: number;
  /** Upstream TCP connect timeout (a LAN: a live host answers within a millisecond); a try that runs out is retried on another endpoint. Default 1000 ms. */
  connectTimeoutMs?: number;
  /** Time for the upstream to send response headers. Default 60 000 ms. */
  headersTimeoutMs?: number;
  /**
   * Each try of a replayable request (GET/HEAD/OPTIONS/PUT/DELETE/TRACE, no body) gets this
   * long for the response headers, then the request goes to another endpoint (retry-policy.ts);
   * a site's retry.perTryTimeoutMs overrides it. 0 = none (the try waits headersTimeoutMs). Default 5000 ms.
   * This default gives way while the endpoint shows a sign of life (upstream/liveness.ts); a site's own does not.
   */
  perTryTimeoutMs?: number;
  /** Longest silence inside an upstream response body; 0 disables. Default 300 000 ms. */
  bodyTimeoutMs?: number;
  /** close() waits this long for open connections, then destroys them. Default 10 000 ms. */
  drainTimeoutMs?: number;
  /** Client side: the request headers must arrive within this (slowloris). Default 10 000 ms. */
  clientHeadersTimeoutMs?: number;
  /** Client side: the whole request (headers and body) must arrive within this; 0 disables. Default 300 000 ms. */
  clientRequestTimeoutMs?: number;
  /** Client side: an idle keep-alive connection is closed after this. Default 5 000 ms. */
  clientKeepAliveMs?: number;
  /**
   * Client side: a reply the client takes none of for this long (its window or socket
   * buffer full, nothing drained) is cut: the connection, or on HTTP/2 the stream
   * (front/send-stalls.ts; nginx's send_timeout). 0 disables. Default 60 000 ms.
   */
  clientSendTimeoutMs?: number;
  /** Upgrade tunnels (WebSocket) to an endpoint that left every route close after this. Default 30 000 ms. */
  tunnelGraceMs?: number;
  /**
   * A drained endpoint whose route gave a drain timeout keeps its tunnels this much longer
   * than that timeout: its server is stopped once the drain is over (SIGTERM, then up to 5 s
   * to exit), and an app should close its own WebSockets (1001) and end its event streams
   * then, not find them already cut by the router at the same moment. Its exit cuts
   * whatever is left at once (Router.abandonEndpoints). Default 10 000 ms.
   */
  drainStopGraceMs?: number;
  /** Largest request header section the parser accepts (→ 431). Default 16 384 bytes. */
  maxHeaderBytes?: number;
  /**
   * Most header fields a request may have (→ 431), 1–500. Default 100, as HAProxy's
   * (tune.http.maxhdr 101, the request line included). node:http keeps only the first 1000
   * and drops the rest without a word (Content-Length among them), so the limit stays below.
   */
  maxRequestHeaders?: number;
  /** An HTTP/2 connection with no stream open this long is closed (GOAWAY). 0: never. Default 60 000 ms. */
  clientH2IdleMs?: number;
  /**
   * Requests per site that wait in this router process for an endpoint under the route's
   * endpointMaxInFlight (pooled static sites), each at most wakeTimeoutMs; beyond, 503
   * ROUTER_SITE_BUSY. A waiting request costs the router little. Default 1024.
   */
  busyQueue?: number;
  /** Open client connections per router process; more are refused at accept. 0 = no limit (default). */
  maxConnections?: number;
  /** Bodiless requests take the raw fast path (own HTTP/1.1 client); false sends all through undici. Default true. */
  rawUpstream?: boolean;
  /** Bodiless HTTP/1.1 requests are read by the router's own front (raw-server.ts) instead of node:http. Default true. */
  rawFront?: boolean;
  /** Requests held per idle site (scale to zero) while it wakes, per router process; more get 503 at once. 0: none held. Default 100. */
  wakeQueue?: number;
  /** A held request waits this long for the site's first server, then gets 503 with Retry-After. Default 10 000 ms. */
  wakeTimeoutMs?: number;
  /**
   * A request for a site that is not idle but has no endpoint (its first server starting
   * after a deploy; a worker that has not yet heard of the new endpoint; every server
   * between restarts) is held this long for one, in the same bounded queue as wakes
   * (`wakeQueue`; no wake is asked), then gets its 503 ROUTER_NO_ENDPOINT. A request that no
   * server took (every try refused: a crashed server being restarted) is held as long from
   * its first refusal, in a queue of the same size, and tried again with a pause growing from
   * 25 ms to 250 ms (recover-holds.ts); then it gets its 502. 0: at once. Default 2 000 ms.
   */
  startHoldMs?: number;
  /** The default certificate: given, the router also has an HTTPS listener (`tlsServer`, HTTP/2 + HTTP/1.1). Default none. */
  tls?: CertificatePem | null;
}

export type RouterConfig = Readonly<Required<RouterOptions>>;

const DEFAULTS: Omit<RouterConfig, 'log'> = {
  trustedProxies: [],
  ejectMs: 3000,
  connectTimeoutMs: 1000,
  headersTimeoutMs: 60_000,
  perTryTimeoutMs: RETRY_DEFAULTS.perTryTimeoutMs,
  bodyTimeoutMs: 300_000,
  drainTimeoutMs: 10_000,
  rawUpstream: true,
  rawFront: true,
  accessLog: null,
  siteLogDir: null,
  siteLogName: 'router',
  metrics: false,
  clientHeadersTimeoutMs: 10_000,
  clientRequestTimeoutMs: 300_000,
  clientKeepAliveMs: 5_000,
  clientSendTimeoutMs: 60_000,
  maxHeaderBytes: 16_384,
  maxRequestHeaders: 100,
  clientH2IdleMs: 60_000,
  maxConnections: 0,
  busyQueue: 1_024,
  tunnelGraceMs: 30_000,
  drainStopGraceMs: 10_000,
  wakeQueue: 100,
  wakeTimeoutMs: 10_000,
  startHoldMs: 2_000,
  tls: null,
};

const DURATIONS = [
  'ejectMs',
  'connectTimeoutMs',
  'headersTimeoutMs',
  'perTryTimeoutMs',
  'bodyTimeoutMs',
  'drainTimeoutMs',
  'clientHeadersTimeoutMs',
  'clientRequestTimeoutMs',
  'clientKeepAliveMs',
  'clientSendTimeoutMs',
  'maxHeaderBytes',
  'maxRequestHeaders',
  'clientH2IdleMs',
  'maxConnections',
  'busyQueue',
  'tunnelGraceMs',
  'drainStopGraceMs',
  'wakeQueue',
  'wakeTimeoutMs',
  'startHoldMs',
] as const;

export function routerConfig(opts: RouterOptions = {}): RouterConfig {
  if ('trustProxy' in opts) throw new TypeError('router option trustProxy was replaced by trustedProxies (the addresses or CIDR blocks of the proxies in front)');
  for (const key of Object.keys(opts)) {
    if (key !== 'log' && !(key in DEFAULTS)) throw new TypeError(`unknown router option "${key}"`);
  }
  const config = { ...DEFAULTS, log: silentLogger, ...stripUndefined(opts) };
  for (const key of DURATIONS) {
    const v = config[key];
    if (!Number.isInteger(v) || v < 0) throw new TypeError(`router option ${key} must be an integer ≥ 0 (ms), got ${String(v)}`);
  }
  if (config.clientRequestTimeoutMs > 0 && config.clientHeadersTimeoutMs > config.clientRequestTimeoutMs) {
    throw new TypeError('router option clientHeadersTimeoutMs must not exceed clientRequestTimeoutMs');
  }
  if (config.maxRequestHeaders < 1 || config.maxRequestHeaders > 500) throw new TypeError(`router option maxRequestHeaders must be 1–500, got ${config.maxRequestHeaders}`);
  if (config.clientHeadersTimeoutMs === 0) throw new TypeError('router option clientHeadersTimeoutMs must be > 0 (slow-client protection)');
  if (!Array.isArray(config.trustedProxies)) throw new TypeError('router option trustedProxies must be a list of addresses or CIDR blocks');
  for (const entry of config.trustedProxies) {
    const bad = trustedProxyError(entry);
    if (bad) throw new TypeError(`router option trustedProxies: ${bad}`);
  }
  config.trustedProxies = Object.freeze([...config.trustedProxies]);
  if (typeof config.rawUpstream !== 'boolean') throw new TypeError('router option rawUpstream must be a boolean');
  const tls = config.tls;
  if (tls !== null && (typeof tls !== 'object' || typeof tls.cert !== 'string' || typeof tls.key !== 'string')) {
    throw new TypeError('router option tls must be { cert, key } (PEM strings)');
  }
  return Object.freeze(config);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * node:http's client-side settings for the router's listeners (the HTTP server, and the
 * HTTP/1.1 side of the HTTPS one): the strict parser, Host required, the head and request
 * deadlines against slow clients, keep-alive idle time.
 */
export function clientSideSettings(config: RouterConfig) {
  return {
    insecureHTTPParser: false,
    requireHostHeader: true,
    maxHeaderSize: config.maxHeaderBytes,
    headersTimeout: config.clientHeadersTimeoutMs,
    requestTimeout: config.clientRequestTimeoutMs,
    keepAliveTimeout: config.clientKeepAliveMs,
  } as const;
}
