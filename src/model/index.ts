export * from './records.ts';
export { keys, keyName } from './keys.ts';
export { newSiteId, siteStorageKey, assignmentStorageKey } from './site-id.ts';
export { assignmentCheck, balanceCheck, retryCheck, routeCheck, type RecordCheck } from './record-checks.ts';
export { acmeNames, tlsModeOf } from './tls-mode.ts';
