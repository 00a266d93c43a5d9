// Request schemas, validated at the edge (TypeBox compiler; unknown fields are refused).
// Rules that span fields or need a better message than a pattern live in site-spec.ts.

import { Type, type TObject, type TSchema } from 'typebox';
import {
  TlsModeSchema, Balance, closed, Command, CustomerName, Domains, DrainTimeoutMs, StartTimeoutMs, Egress, Env, ErrorPages, HealthCheck, HealthPath, Maintenance, patterns, Replicas, RouteRetry,
  SiteLimits, SiteName, SiteResources, Hsts, Autoscale,

} from '../model/schemas.ts';

// The field rules are the model's, shared with the router and the engine (src/model/schemas.ts).
export { patternHints, patterns } from '../model/schemas.ts';

const strict = { additionalProperties: false } as const;

export const CustomerCreateBody = Type.Object({ name: CustomerName }, strict);
export const TokenCreateBody = Type.Object({ name: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: patterns.line })) }, strict);

/** What a site's owner may set at creation and change later (all optional). */
const siteSettings = {
  replicas: Type.Optional(Replicas),
  command: Type.Optional(Command),
  healthPath: Type.Optional(HealthPath),
  env: Type.Optional(Env),
  balance: Type.Optional(closed(Balance)),
  limits: Type.Optional(closed(SiteLimits)),
  healthCheck: Type.Optional(closed(HealthCheck)),
  resources: Type.Optional(closed(SiteResources)),
  egress: Type.Optional(Egress),
  httpsRedirect: Type.Optional(Type.Boolean()),
  /** A PATCH replaces the whole object (`{}`: the router's defaults). */
  retry: Type.Optional(closed(RouteRetry)),
  /** How long a server leaving the route keeps its open connections before it is stopped. */
  drainTimeoutMs: Type.Optional(DrainTimeoutMs),
  /** How long a starting server has to pass its health check (a change rolls out new servers). */
  startTimeoutMs: Type.Optional(StartTimeoutMs),
  /** In a PATCH each field given replaces the stored one. */
  maintenance: Type.Optional(closed(Maintenance)),
  /** Merged into the stored pages by status; "" removes one. */
  errorPages: Type.Optional(ErrorPages),
  /** Strict-Transport-Security on HTTPS responses; a PATCH replaces the whole object (`{}`: off). */
  hsts: Type.Optional(closed(Hsts)),
  /** Certificates: 'auto' (ACME), 'manual' (uploaded), 'off'. */
  tls: Type.Optional(TlsModeSchema),
  /** Autoscaling and scale to zero; a PATCH replaces the whole object (`{}`: off, back to the fixed `replicas`). */
  autoscale: Type.Optional(closed(Autoscale)),
  /** Static sites: served by the customer's shared pool VS on each engine (src/controller/plan-pool.ts). */
  pooled: Type.Optional(Type.Boolean()),
  /** Static sites: a page path naming no file gets /index.html with 200 (a single-page app). */
  spa: Type.Optional(Type.Boolean()),

};

export const SiteCreateBody = Type.Object({
  name: SiteName,
  customer: Type.Optional(CustomerName),
  domains: Domains,
  kind: Type.Enum(['static', 'app']),
  ...siteSettings,
}, strict);

/** The object's fields, each also accepting null (in a PATCH: remove that field). */
function nullableFields(schema: TObject): TObject {
  const props = Object.fromEntries(Object.entries(schema.properties).map(([key, field]) => {
    const { ['~optional']: _optional, ...plain } = field as TSchema & { '~optional'?: boolean };
    return [key, Type.Optional(Type.Union([plain as TSchema, Type.Null()]))];
  }));
  return Type.Object(props, strict);
}

/** Merged into the stored resources: a field given replaces the stored one, null removes it. */
const ResourcesPatch = nullableFields(SiteResources) as unknown as TObject<{
  [K in keyof typeof SiteResources.properties]: ReturnType<typeof Type.Optional<ReturnType<typeof Type.Union<[typeof SiteResources.properties[K], ReturnType<typeof Type.Null>]>>>>;
}>;

export const SitePatchBody = Type.Object({ domains: Type.Optional(Domains), ...siteSettings, resources: Type.Optional(ResourcesPatch), database: Type.Optional(Type.Union([Type.String({ pattern: patterns.site }), Type.Null()])) }, strict);

export const ScaleBody = Type.Object({ replicas: Replicas }, strict);

export const CustomerParams = Type.Object({ id: CustomerName }, strict);
export const CustomerTokenParams = Type.Object({ id: CustomerName, tokenId: Type.String({ pattern: '^[a-f0-9]{12}$' }) }, strict);
export const CustomerDeleteQuery = Type.Object({ cascade: Type.Optional(Type.Boolean()) }, strict);
/** A TLS certificate upload: PEM certificate (chain) and unencrypted PEM private key. */
export const CertificateBody = Type.Object(
  { cert: Type.String({ minLength: 1, maxLength: 65_536 }), key: Type.String({ minLength: 1, maxLength: 16_384 }) },
  strict,
);
export const SiteParams = Type.Object({ name: SiteName }, strict);
export const ReleaseParams = Type.Object({ name: SiteName, id: Type.String({ pattern: patterns.release }) }, strict);
const EngineId = Type.String({ pattern: patterns.label });
export const EngineParams = Type.Object({ id: EngineId }, strict);
/** POST /v1/drill/faults: one fault of a `corral drill` for an engine, a VS or the leader to act out. */
export const DrillFaultBody = Type.Object(
  {
    fault: Type.Union([Type.Literal('kill-vs'), Type.Literal('crash-engine'), Type.Literal('partition-engine'), Type.Literal('kill-leader')]),
    /** The VS (kill-vs), the engine (crash-engine, partition-engine) or the leader's id (kill-leader; optional). */
    target: Type.Optional(Type.String({ minLength: 1, maxLength: 128, pattern: patterns.label })),
    durationMs: Type.Integer({ minimum: 0, maximum: 120_000 }),
  },
  strict,
);
export const JoinTokenParams = Type.Object({ id: Type.String({ pattern: '^[a-f0-9]{12}$' }) }, strict);
export const JoinTokenCreateBody = Type.Object(
  { name: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: patterns.line })), ttlSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 31_536_000 })) },
  strict,
);
export const JoinBody = Type.Object({ token: Type.String({ maxLength: 200 }), role: Type.Union([Type.Literal('engine'), Type.Literal('router')]), id: EngineId }, strict);
export const BlobParams = Type.Object({ sha256: Type.String({ pattern: patterns.sha256 }) }, strict);

export const UploadQuery = Type.Object({ activate: Type.Optional(Type.Boolean()) }, strict);
export const LogsQuery = Type.Object({
  tail: Type.Optional(Type.Integer({ minimum: 0, maximum: 10000 })),
  follow: Type.Optional(Type.Boolean()),
  /** app (default): the VSs' output; router: the router's access lines; all: both, in time order. */
  source: Type.Optional(Type.Union([Type.Literal('app'), Type.Literal('router'), Type.Literal('all')])),
  /** Each line begins with the time it was written (ISO 8601, UTC), before its source. */
  timestamps: Type.Optional(Type.Boolean()),
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

/** A customer's database name: like a site name (2–40 lowercase letters, digits or dashes). */
export const DatabaseName = Type.String({ pattern: patterns.site });
export const DatabaseParams = Type.Object({ name: DatabaseName }, strict);
const ConnectionLimit = Type.Integer({ minimum: 1, maximum: 100 });
const QuotaMb = Type.Integer({ minimum: 16, maximum: 1_048_576 });
/** Scheduled backups: every `everySeconds` (1 minute to 30 days), keeping the newest `keep`. */
const BackupSchedule = Type.Object({ everySeconds: Type.Integer({ minimum: 60, maximum: 2_592_000 }), keep: Type.Integer({ minimum: 1, maximum: 100 }) }, strict);
export const DatabaseCreateBody = Type.Object({
  name: DatabaseName,
  customer: Type.Optional(CustomerName),
  connectionLimit: Type.Optional(ConnectionLimit),
  quotaMb: Type.Optional(QuotaMb),
  backup: Type.Optional(BackupSchedule),
}, strict);
export const DatabasePatchBody = Type.Object({
  connectionLimit: Type.Optional(ConnectionLimit),
  quotaMb: Type.Optional(QuotaMb),
  /** null: no scheduled backups. */
  backup: Type.Optional(Type.Union([BackupSchedule, Type.Null()])),
}, strict);
export const DatabaseRestoreBody = Type.Object({
  backup: Type.String({ pattern: '^b[0-9]{13}-[a-f0-9]{6}$' }),
  /** A new database (of the same customer) to restore into; absent: this one, replaced. */
  into: Type.Optional(DatabaseName),
}, strict);
/** On a site: the database its servers get; null unbinds. */
export const SiteDatabasePatch = Type.Union([DatabaseName, Type.Null()]);
