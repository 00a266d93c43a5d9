// The rules for every site setting that reaches a router, an engine or a guest, as
// TypeBox schemas: the API validates requests with them (src/controller/schemas.ts) and
// the router and the engine check the records they read with the same ones
// (record-checks.ts), so a value the API accepts is one each consumer can use.
//
// Object schemas here are open (unknown fields pass) so a record written by a newer
// Corral still reads; the API closes them (`closed`) to refuse unknown fields.

import { Type, type TObject, type TProperties } from 'typebox';
import { BALANCE_POLICIES } from './balance-policies.ts';
import { patterns } from './patterns.ts';

export { patternHints, patterns } from './patterns.ts';

/** The same object schema, refusing unknown fields (the API's requests). */
export function closed<T extends TProperties>(schema: TObject<T>): TObject<T> {
  const { properties, ...options } = schema;
  return Type.Object(properties, { ...options, additionalProperties: false }) as unknown as TObject<T>;
}

export const CustomerName = Type.String({ pattern: patterns.customer });
export const SiteName = Type.String({ pattern: patterns.site });
export const Domain = Type.String({ pattern: patterns.domain, maxLength: 253 });
export const Domains = Type.Array(Domain, { minItems: 1, maxItems: 20, uniqueItems: true });
export const Replicas = Type.Integer({ minimum: 0, maximum: 20 });
/** An app's command, run by `sh -c` in the release directory. */
export const Command = Type.String({ minLength: 1, maxLength: 4096, pattern: patterns.line });
/** Checked by the engine (every VS) and, unless set apart in healthCheck.path, the router. */
export const HealthPath = Type.String({ pattern: patterns.path, maxLength: 1024 });
export const EnvValue = Type.String({ maxLength: 32_768, pattern: patterns.noNul });
/** The guest's environment; its total size is bounded in the controller (site-spec.ts). */
export const Env = Type.Record(Type.String(), EnvValue, { maxProperties: 64, propertyNames: { pattern: patterns.envName, maxLength: 128 } });

/** The router's limits per site. */
export const SiteLimits = Type.Object({
  maxHeaderBytes: Type.Optional(Type.Integer({ minimum: 256, maximum: 16_384 })),
  maxBodyBytes: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 40 })),
  requestsPerSecond: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
  burst: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
});

/** The guest's resources per site (namespace runtime). */
export const SiteResources = Type.Object({
  memoryMb: Type.Optional(Type.Integer({ minimum: 16, maximum: 65_536 })),
  cpu: Type.Optional(Type.Number({ minimum: 0.01, maximum: 64 })),
  pids: Type.Optional(Type.Integer({ minimum: 8, maximum: 32_768 })),
  tmpMb: Type.Optional(Type.Integer({ minimum: 1, maximum: 16_384 })),
  diskMb: Type.Optional(Type.Integer({ minimum: 16, maximum: 1_048_576 })),
});

export const Egress = Type.Enum(['none', 'engine']);
/** A site's certificates: ACME, uploaded, or none (tls-mode.ts). */
export const TlsModeSchema = Type.Enum(['auto', 'manual', 'off']);

/** The router's active health checks per site (in a Route: `path` set, no `off`). */
export const HealthCheck = Type.Object({
  off: Type.Optional(Type.Boolean()),
  path: Type.Optional(HealthPath),
  intervalMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 3_600_000 })),
  timeoutMs: Type.Optional(Type.Integer({ minimum: 10, maximum: 60_000 })),
  rise: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
  fall: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
  expectStatus: Type.Optional(Type.Integer({ minimum: 100, maximum: 599 })),
});

/** The router's balancing per site; cross-field rules in src/controller/site-spec.ts. Weights by engine id (Site) or VS name (Route). */
export const Balance = Type.Object({
  policy: Type.Enum([...BALANCE_POLICIES]),
  hashOn: Type.Optional(Type.Enum(['ip', 'header', 'cookie'])),
  key: Type.Optional(Type.String({ pattern: patterns.token })),
  weights: Type.Optional(
    Type.Record(Type.String(), Type.Integer({ minimum: 1, maximum: 100 }), { maxProperties: 64, propertyNames: { pattern: patterns.label } }),
  ),
});

/** An HTML page (maintenance, errors); its UTF-8 size (64 KiB at most) is checked in the controller. In a PATCH "" removes it. */
export const Page = Type.String({ maxLength: 65_536, pattern: patterns.noNul });

/** Maintenance mode; in a PATCH each field given replaces the stored one. Addresses are checked as IPs in the controller. */
export const Maintenance = Type.Object({
  on: Type.Optional(Type.Boolean()),
  page: Type.Optional(Page),
  allowIps: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64, pattern: patterns.line }), { maxItems: 64, uniqueItems: true })),
});

/** The site's pages by status ("502": html); which statuses is checked in the controller. */
export const ErrorPages = Type.Record(Type.String({ pattern: '^[0-9]{3}$' }), Page, { maxProperties: 16, additionalProperties: false });

/** The router's retries per site. */
export const RouteRetry = Type.Object({
  perTryTimeoutMs: Type.Optional(Type.Integer({ minimum: 10, maximum: 600_000 })),
  budgetRatio: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  minRetriesPerSecond: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000 })),
  maxTries: Type.Optional(Type.Integer({ minimum: 1, maximum: 10 })),
});

/** Browsers may remember HSTS this long at most: two years (hstspreload.org's recommendation). */
export const MAX_HSTS_MAX_AGE_SECONDS = 63_072_000;

/**
 * HTTP Strict Transport Security (RFC 6797), sent by the router on the site's HTTPS
 * responses only. `{}` in a PATCH turns it off; maxAgeSeconds is then required (0 tells
 * browsers to forget the policy). Cross-field rules (preload) in src/controller/site-spec.ts.
 */
const HstsMaxAge = Type.Integer({ minimum: 0, maximum: MAX_HSTS_MAX_AGE_SECONDS });
export const Hsts = Type.Object({
  maxAgeSeconds: Type.Optional(HstsMaxAge),
  includeSubDomains: Type.Optional(Type.Boolean()),
  preload: Type.Optional(Type.Boolean()),
});
/** In a Route (only while on): max-age given. */
const RouteHsts = Type.Object({ ...Hsts.properties, maxAgeSeconds: HstsMaxAge });

/** Deploys: how long a retired server keeps its open connections (ms). */
export const MAX_DRAIN_TIMEOUT_MS = 3_600_000;
export const DrainTimeoutMs = Type.Integer({ minimum: 0, maximum: MAX_DRAIN_TIMEOUT_MS });

/** How long a starting server has to pass its health check before its engine stops it (ms): 1 s – 10 min. */
export const MAX_START_TIMEOUT_MS = 600_000;
export const StartTimeoutMs = Type.Integer({ minimum: 1_000, maximum: MAX_START_TIMEOUT_MS });

/**
 * Autoscaling per site (records.ts Autoscale). Cross-field rules (min ≤ max, idle timeout
 * only with minReplicas 0) in src/controller/site-spec.ts.
 */
export const MIN_IDLE_TIMEOUT_MS = 1_000;
export const MAX_IDLE_TIMEOUT_MS = 7 * 86_400_000;
export const Autoscale = Type.Object({
  minReplicas: Type.Optional(Type.Integer({ minimum: 0, maximum: 20 })),
  maxReplicas: Type.Optional(Type.Integer({ minimum: 1, maximum: 20 })),
  targetConcurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
  idleTimeoutMs: Type.Optional(Type.Integer({ minimum: MIN_IDLE_TIMEOUT_MS, maximum: MAX_IDLE_TIMEOUT_MS })),
});

/** A name or id the farm made (release id, timestamps): bounded, one line. */
const Text = Type.String({ minLength: 1, maxLength: 256, pattern: patterns.line });
const Timestamp = Type.String({ maxLength: 64, pattern: patterns.line });

export const EndpointRecord = Type.Object({
  vs: Type.String({ pattern: patterns.label }),
  /** An IP address or a hostname (an engine's --address). */
  address: Type.String({ minLength: 1, maxLength: 253, pattern: '^[A-Za-z0-9.:%_-]+$' }),
  port: Type.Integer({ minimum: 1, maximum: 65_535 }),
  release: Text,
});

/** In a Route: the site's checks with the path resolved (healthCheck.path, else healthPath). */
const RouteHealth = Type.Object({ ...HealthCheck.properties, path: HealthPath });
/** In a Route (only while on). */
const RouteMaintenance = Type.Object({ ...Maintenance.properties, on: Type.Boolean() });

/** A Route as the router reads it (keys.route). */
export const RouteRecord = Type.Object({
  site: SiteName,
  siteId: Type.Optional(Type.String({ pattern: patterns.label })),
  domains: Domains,
  endpoints: Type.Array(EndpointRecord, { maxItems: 1_000 }),
  balance: Type.Optional(Balance),
  limits: Type.Optional(SiteLimits),
  health: Type.Optional(RouteHealth),
  healthPath: Type.Optional(HealthPath),
  httpsRedirect: Type.Optional(Type.Boolean()),
  maintenance: Type.Optional(RouteMaintenance),
  errorPages: Type.Optional(ErrorPages),
  retry: Type.Optional(RouteRetry),
  drainTimeoutMs: Type.Optional(DrainTimeoutMs),
  updatedAt: Timestamp,
  hsts: Type.Optional(RouteHsts),
  idle: Type.Optional(Type.Boolean()),
  endpointMaxInFlight: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
});

/** Most sites one pool VS holds (a pool's assignment carries them all). */
export const MAX_POOL_SITES = 5_000;
/** One site of a pool VS (records.ts PoolSite). */
export const PoolSiteRecord = Type.Object({
  site: SiteName,
  siteId: Type.Optional(Type.String({ pattern: patterns.label })),
  release: Text,
  sha256: Type.String({ pattern: patterns.sha256 }),
  domains: Type.Array(Domain, { minItems: 1, maxItems: 20 }),
  spa: Type.Optional(Type.Boolean()),
});

/** An Assignment as an engine reads it (keys.assignment). */
export const AssignmentRecord = Type.Object({
  vs: Type.String({ pattern: patterns.label }),
  engine: Type.String({ pattern: patterns.label }),
  site: SiteName,
  customer: CustomerName,
  kind: Type.Enum(['static', 'app']),
  release: Text,
  sha256: Type.String({ pattern: patterns.sha256 }),
  command: Type.Optional(Command),
  healthPath: HealthPath,
  env: Env,
  domains: Type.Array(Domain, { maxItems: 20 }),
  resources: Type.Optional(SiteResources),
  egress: Type.Optional(Egress),
  spa: Type.Optional(Type.Boolean()),
  createdAt: Timestamp,
  pool: Type.Optional(Type.Object({ sites: Type.Array(PoolSiteRecord, { maxItems: MAX_POOL_SITES }) })),
});
