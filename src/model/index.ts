export * from './records.ts';
export { keys, keyName } from './keys.ts';
export { assignmentCheck, balanceCheck, retryCheck, routeCheck, type RecordCheck } from './record-checks.ts';
