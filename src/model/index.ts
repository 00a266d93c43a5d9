export * from './records.ts';
export { keys, keyName } from './keys.ts';
export { newSiteId, siteStorageKey, assignmentStorageKey } from './site-id.ts';
export { assignmentCheck, balanceCheck, readRoute, retryCheck, routeCheck, type DroppedSetting, type RecordCheck, type RouteRead } from './record-checks.ts';
export * from './drill-fault.ts';
export { RETRY_DEFAULTS } from './retry-defaults.ts';
export { BALANCE_POLICIES, isBalancePolicy } from './balance-policies.ts';
export type { FarmStatus, SiteStatus, VirtualServerView } from './status-views.ts';
export { acmeNames, tlsModeOf } from './tls-mode.ts';
