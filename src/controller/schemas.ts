// Request schemas, validated at the edge (TypeBox compiler; unknown fields are refused).
// Rules that span fields or need a better message than a pattern live in site-spec.ts.

import { Type } from 'typebox';

export const patterns = {
  customer: '^[a-z][a-z0-9-]{1,38}$',
  site: '^[a-z][a-z0-9-]{0,38}[a-z0-9]$',
  /** A lowercase hostname, optionally with a leading `*.` label. */
  domain: '^(\\*\\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$',
  release: '^v[1-9][0-9]{0,9}$',
  sha256: '^[a-f0-9]{64}$',
} as const;

/** What each pattern means, for validation messages (validation-message.ts). */
export const patternHints: Record<string, string> = {
  [patterns.customer]: '2–39 lowercase letters, digits or dashes, starting with a letter',
  [patterns.site]: '2–40 lowercase letters, digits or dashes, starting with a letter and not ending with a dash',
  [patterns.domain]: 'a lowercase hostname such as www.example.com (a leading "*." is allowed)',
  [patterns.release]: 'a release id such as v1',
  [patterns.sha256]: '64 lowercase hex digits',
  '^/': 'a path starting with /',
};

const strict = { additionalProperties: false } as const;

const CustomerName = Type.String({ pattern: patterns.customer });
const SiteName = Type.String({ pattern: patterns.site });
const Domains = Type.Array(Type.String({ pattern: patterns.domain, maxLength: 253 }), { minItems: 1, maxItems: 20, uniqueItems: true });
const Replicas = Type.Integer({ minimum: 0, maximum: 20 });
const Command = Type.String({ minLength: 1, maxLength: 4096 });
const HealthPath = Type.String({ pattern: '^/', maxLength: 1024 });
const Env = Type.Record(Type.String(), Type.String({ maxLength: 32768 }), { maxProperties: 64 });
/** The router's limits per site. */
const Limits = Type.Object({
  maxHeaderBytes: Type.Optional(Type.Integer({ minimum: 256, maximum: 16_384 })),
  maxBodyBytes: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 40 })),
  requestsPerSecond: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
  burst: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
}, strict);
/** The guest's resources per site (namespace runtime). */
const Resources = Type.Object({
  memoryMb: Type.Optional(Type.Integer({ minimum: 16, maximum: 65_536 })),
  cpu: Type.Optional(Type.Number({ minimum: 0.01, maximum: 64 })),
  pids: Type.Optional(Type.Integer({ minimum: 8, maximum: 32_768 })),
  tmpMb: Type.Optional(Type.Integer({ minimum: 1, maximum: 16_384 })),
  diskMb: Type.Optional(Type.Integer({ minimum: 16, maximum: 1_048_576 })),
}, strict);
const Egress = Type.Enum(['none', 'engine']);
/** The router's active health checks per site. */
const HealthCheck = Type.Object({
  off: Type.Optional(Type.Boolean()),
  path: Type.Optional(HealthPath),
  intervalMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 3_600_000 })),
  timeoutMs: Type.Optional(Type.Integer({ minimum: 10, maximum: 60_000 })),
  rise: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
  fall: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
  expectStatus: Type.Optional(Type.Integer({ minimum: 100, maximum: 599 })),
}, strict);
/** The router's balancing per site; cross-field rules in site-spec.ts. */
const Balance = Type.Object({
  policy: Type.Enum(['round-robin', 'least-conn', 'weighted', 'sticky', 'hash']),
  hashOn: Type.Optional(Type.Enum(['ip', 'header', 'cookie'])),
  key: Type.Optional(Type.String({ pattern: "^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$" })),
  weights: Type.Optional(Type.Record(Type.String({ maxLength: 64 }), Type.Integer({ minimum: 1, maximum: 100 }), { maxProperties: 64 })),
}, strict);

/** An HTML page (maintenance, errors); its UTF-8 size (64 KiB at most) is checked in site-pages.ts. In a PATCH "" removes it. */
const Page = Type.String({ maxLength: 65_536 });
/** Maintenance mode; in a PATCH each field given replaces the stored one. */
const Maintenance = Type.Object({
  on: Type.Optional(Type.Boolean()),
  page: Type.Optional(Page),
  allowIps: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 64, uniqueItems: true })),
}, strict);
/** The site's pages by status ("502": html), merged into the stored ones; which statuses is checked in site-pages.ts. */
const ErrorPages = Type.Record(Type.String({ pattern: '^[0-9]{3}$' }), Page, { maxProperties: 16, additionalProperties: false });

/** The router's retries per site; a PATCH replaces the whole object (`{}`: the defaults). */
const Retry = Type.Object({
  perTryTimeoutMs: Type.Optional(Type.Integer({ minimum: 10, maximum: 600_000 })),
  budgetRatio: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  minRetriesPerSecond: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000 })),
  maxTries: Type.Optional(Type.Integer({ minimum: 1, maximum: 10 })),
}, strict);

export const CustomerCreateBody = Type.Object({ name: CustomerName }, strict);
export const TokenCreateBody = Type.Object({ name: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })) }, strict);

/** What a site's owner may set at creation and change later (all optional). */
const siteSettings = {
  replicas: Type.Optional(Replicas),
  command: Type.Optional(Command),
  healthPath: Type.Optional(HealthPath),
  env: Type.Optional(Env),
  balance: Type.Optional(Balance),
  limits: Type.Optional(Limits),
  healthCheck: Type.Optional(HealthCheck),
  resources: Type.Optional(Resources),
  egress: Type.Optional(Egress),
  httpsRedirect: Type.Optional(Type.Boolean()),
  retry: Type.Optional(Retry),
  maintenance: Type.Optional(Maintenance),
  errorPages: Type.Optional(ErrorPages),
};

export const SiteCreateBody = Type.Object({
  name: SiteName,
  customer: Type.Optional(CustomerName),
  domains: Domains,
  kind: Type.Enum(['static', 'app']),
  ...siteSettings,
}, strict);

export const SitePatchBody = Type.Object({ domains: Type.Optional(Domains), ...siteSettings }, strict);

export const ScaleBody = Type.Object({ replicas: Replicas }, strict);

export const CustomerParams = Type.Object({ id: CustomerName }, strict);
/** A TLS certificate upload: PEM certificate (chain) and unencrypted PEM private key. */
export const CertificateBody = Type.Object(
  { cert: Type.String({ minLength: 1, maxLength: 65_536 }), key: Type.String({ minLength: 1, maxLength: 16_384 }) },
  strict,
);
export const SiteParams = Type.Object({ name: SiteName }, strict);
export const ReleaseParams = Type.Object({ name: SiteName, id: Type.String({ pattern: patterns.release }) }, strict);
const EngineId = Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' });
export const EngineParams = Type.Object({ id: EngineId }, strict);
export const JoinTokenParams = Type.Object({ id: Type.String({ pattern: '^[a-f0-9]{12}$' }) }, strict);
export const JoinTokenCreateBody = Type.Object(
  { name: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })), ttlSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 31_536_000 })) },
  strict,
);
export const JoinBody = Type.Object({ token: Type.String({ maxLength: 200 }), role: Type.Union([Type.Literal('engine'), Type.Literal('router')]), id: EngineId }, strict);
export const BlobParams = Type.Object({ sha256: Type.String({ pattern: patterns.sha256 }) }, strict);

export const UploadQuery = Type.Object({ activate: Type.Optional(Type.Boolean()) }, strict);
export const LogsQuery = Type.Object({
  tail: Type.Optional(Type.Integer({ minimum: 0, maximum: 10000 })),
  follow: Type.Optional(Type.Boolean()),
}, strict);
export const EventsQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 2000 })),
  type: Type.Optional(Type.Union([Type.Literal('audit'), Type.Literal('farm')])),
  site: Type.Optional(Type.String({ maxLength: 200 })),
}, strict);
export const StatsQuery = Type.Object({
  seconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 300 })),
  step: Type.Optional(Type.Integer({ minimum: 1, maximum: 60 })),
}, strict);
