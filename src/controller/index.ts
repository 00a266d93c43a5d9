// The controller's public surface: the REST API builder, the admin token, token issuing,
// and the types callers need.

export { buildController } from './build-controller.ts';
export { domainRules, hostNamesOf } from './domain-rules.ts';
export { ensureAdminToken, ADMIN_TOKEN_FILE } from './admin-token.ts';
export { issueToken, hashToken } from './tokens.ts';
export { openBlobStore } from './blob-store.ts';
export { startBlobGc, planBlobGc, DEFAULT_BLOB_GRACE_MS, type BlobGc, type BlobGcOptions } from './blob-gc.ts';
export type { ControllerOptions, ControllerLimits, BlobStore, RouterLogs, EngineLogs, VsLogInfo } from './options.ts';
export type { Principal } from './principal.ts';
export type { VirtualServerView, FarmView } from './farm-view.ts';
export type { ErrorBody } from './http-errors.ts';
export * from './errors.ts';
export { startReconciler, readSnapshot } from './reconciler.ts';
export type { Reconciler, ReconcilerOptions } from './reconciler.ts';
export { placeReplicas } from './scheduler.ts';
export { metricsRegistry, leaderMetrics } from './metrics.ts';
export { createEventLog, DEFAULT_EVENT_RETENTION, type EventLog, type EventFilter, type EventRetention } from './event-log.ts';
export { watchFarmEvents } from './farm-events.ts';
export { startLeaderElection, readLeader, type LeaderElection, type LeaderElectionOptions, type LeaderRecord } from './leader.ts';
export { restoreFarm, RESTORE_TAR_LIMITS, type RestoreOptions, type RestoreResult } from './farm-restore.ts';
export { startBackupSchedule, backupInto, type BackupSchedule, type BackupScheduleOptions } from './backup-schedule.ts';
export type { FarmRestorer, RestoreContext, BackupManifest, BackupPart } from './farm-backup-format.ts';
export { BLOB_REFERRERS, type BlobReferrer } from './blob-references.ts';
export { openDatabaseSecrets, databaseSecrets, type DatabaseSecrets } from './database-secrets.ts';
export { DATABASE_KEY_FILE, DATABASE_PART_KIND, databasesOf, restoreDatabases, type DatabasesRestored } from './farm-backup-databases.ts';
export { startDatabaseUpkeep, type DatabaseUpkeep, type DatabaseUpkeepOptions } from './database-upkeep.ts';
export type { DatabaseOptions, DatabaseService } from './options.ts';
export { startAcmeIssuer, type AcmeIssuer, type AcmeIssuerOptions } from './acme-issuer.ts';
export { LETS_ENCRYPT_DIRECTORY, type AcmeSettings } from './acme-options.ts';
