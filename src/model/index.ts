export * from './records.ts';
export { keys, keyName } from './keys.ts';
