// Where each record lives in the store. One prefix per record type; never build
// these strings elsewhere.

const ROOT = '/corral';

export const keys = {
  /** Every record of the farm (a farm backup reads them all at one revision). */
  all: `${ROOT}/`,
  customers: `${ROOT}/customers/`,
  customer: (id: string) => `${ROOT}/customers/${id}`,
  /** The farm's one admin token: `{ hash, createdAt }` (the token itself is never stored). */
  adminToken: `${ROOT}/admin-token`,
  tokens: `${ROOT}/tokens/`,
  token: (sha256: string) => `${ROOT}/tokens/${sha256}`,
  sites: `${ROOT}/sites/`,
  site: (name: string) => `${ROOT}/sites/${name}`,
  /** Domain → site name; claimed in the same transaction as the site, so a domain has one owner. */
  domains: `${ROOT}/domains/`,
  domain: (domain: string) => `${ROOT}/domains/${domain}`,
  releases: `${ROOT}/releases/`,
  siteReleases: (site: string) => `${ROOT}/releases/${site}/`,
  release: (site: string, id: string) => `${ROOT}/releases/${site}/${id}`,
  engines: `${ROOT}/engines/`,
  engine: (id: string) => `${ROOT}/engines/${id}`,
  /** Drain requests, set through the API (apart from the engine's own leased record, so they survive its re-registration). */
  engineDrains: `${ROOT}/engine-drains/`,
  engineDrain: (id: string) => `${ROOT}/engine-drains/${id}`,
  /** Join tokens (by sha256 of the token), with which engines and routers join a farm. */
  joinTokens: `${ROOT}/join-tokens/`,
  joinToken: (sha256: string) => `${ROOT}/join-tokens/${sha256}`,
  /** Controllers registered under their lease, with their API URL (cluster mode). */
  controllers: `${ROOT}/controllers/`,
  controller: (id: string) => `${ROOT}/controllers/${id}`,
  assignments: `${ROOT}/assignments/`,
  engineAssignments: (engine: string) => `${ROOT}/assignments/${engine}/`,
  assignment: (engine: string, vs: string) => `${ROOT}/assignments/${engine}/${vs}`,
  vsStatuses: `${ROOT}/vs-status/`,
  engineVsStatuses: (engine: string) => `${ROOT}/vs-status/${engine}/`,
  vsStatus: (engine: string, vs: string) => `${ROOT}/vs-status/${engine}/${vs}`,
  routes: `${ROOT}/routes/`,
  route: (site: string) => `${ROOT}/routes/${site}`,
  /** TLS certificates per site (PEM cert + private key); read by the router only, never returned by the API. */
  certificates: `${ROOT}/certificates/`,
  certificate: (site: string) => `${ROOT}/certificates/${site}`,
  /** The farm's ACME account (key PEM, account URL): read by the controllers only, never returned by the API. */
  acmeAccount: `${ROOT}/acme/account`,
  /** Pending ACME challenges per site (AcmeChallengeRecord), watched by every router. */
  acmeChallenges: `${ROOT}/acme-challenges/`,
  acmeChallenge: (site: string, id: string) => `${ROOT}/acme-challenges/${site}/${id}`,
  siteAcmeChallenges: (site: string) => `${ROOT}/acme-challenges/${site}/`,
  /** Certificate state per site (CertStatusRecord). */
  certStatuses: `${ROOT}/cert-status/`,
  certStatus: (site: string) => `${ROOT}/cert-status/${site}`,
  counters: `${ROOT}/counters/`,
  counter: (name: string) => `${ROOT}/counters/${name}`,
  leader: `${ROOT}/leader`,
  /** Routers registered under their lease, with the URLs clients reach them at (cluster mode and `corral up`). */
  routers: `${ROOT}/routers/`,
  router: (id: string) => `${ROOT}/routers/${id}`,
  /** `corral drill` faults for one engine or controller to act out, each under a lease that outlives it (drill.ts). */
  drills: `${ROOT}/drills/`,
  drill: (role: 'engine' | 'controller', id: string) => `${ROOT}/drills/${role}/${id}`,
  /** Audit trail and farm events, one key per event under its retention bucket (event-log.ts); ids sort by time. */
  events: `${ROOT}/events/`,
  eventBucket: (bucket: EventBucket) => eventBucketKey(bucket),
  event: (bucket: EventBucket, id: string) => `${eventBucketKey(bucket)}${id}`,
  /** Events an older Corral stored before buckets, `events/<id>`: every id begins with its zero-padded milliseconds. */
  legacyEvents: `${ROOT}/events/0`,
  /** Customers' PostgreSQL databases (DatabaseRecord), by name. */
  databases: `${ROOT}/databases/`,
  database: (name: string) => `${ROOT}/databases/${name}`,
  /** Backups of databases (DatabaseBackup): `<database>/<id>`. */
  databaseBackups: `${ROOT}/database-backups/`,
  backupsOf: (db: string) => `${ROOT}/database-backups/${db}/`,
  databaseBackup: (db: string, id: string) => `${ROOT}/database-backups/${db}/${id}`,
  /** Patroni's own keys (the database cluster of a farm on etcd): `db/leader`, `db/members/<engine>`, … */
  patroni: `${ROOT}/patroni/`,
  /** The database cluster's superuser, replication and rewind passwords (cluster mode; created once). */
  dbSecrets: `${ROOT}/db-secrets`,
  /** Where each engine forwards database connections to the primary: `{ host, port }` (its guests' address). */
  dbForwarders: `${ROOT}/db-forwarders/`,
  dbForwarder: (engine: string) => `${ROOT}/db-forwarders/${engine}`,
  /** sha256 of the database passwords' key the farm's controllers share (cluster mode): a controller with another key refuses to start. */
  databaseKeyId: `${ROOT}/database-key-id`,
  /** The autoscaler's replica count per autoscaled site (ScaleRecord), written by the leader. */
  scales: `${ROOT}/scales/`,
  scale: (site: string) => `${ROOT}/scales/${site}`,
  /** Why a site's servers are not placed (UnplacedRecord), by site; written by the leader's reconciler, only while some are not. */
  unplaced: `${ROOT}/unplaced/`,
  siteUnplaced: (site: string) => `${ROOT}/unplaced/${site}`,
  /** Each router's per-site load (RouterLoadRecord), under the router's lease. */
  routerLoads: `${ROOT}/router-load/`,
  routerLoad: (id: string) => `${ROOT}/router-load/${id}`,
  /** Wake requests for idle sites (WakeRecord), put by routers, deleted by the leader's autoscaler. */
  wakes: `${ROOT}/wakes/`,
  wake: (site: string) => `${ROOT}/wakes/${site}`,

} as const;

/** The last path segment of a key. */
export function keyName(key: string): string {
  return key.slice(key.lastIndexOf('/') + 1);
}

/**
 * Whose share of the event log an event counts against (event-log.ts): the farm's (farm
 * events about no customer, calls by admin and engine tokens), callers' without a valid
 * token, or one customer's (its tokens' calls, farm events about its things).
 */
export type EventBucket = 'farm' | 'anonymous' | { customer: string };

function eventBucketKey(bucket: EventBucket): string {
  return `${ROOT}/events/${typeof bucket === 'string' ? bucket : `customers/${bucket.customer}`}/`;
}
