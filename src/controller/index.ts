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
export { createEventLog, type EventLog, type EventFilter } from './event-log.ts';
export { watchFarmEvents } from './farm-events.ts';
export { startLeaderElection, readLeader, type LeaderElection, type LeaderElectionOptions, type LeaderRecord } from './leader.ts';
export { startAcmeIssuer, type AcmeIssuer, type AcmeIssuerOptions } from './acme-issuer.ts';
export { LETS_ENCRYPT_DIRECTORY, type AcmeSettings } from './acme-options.ts';
