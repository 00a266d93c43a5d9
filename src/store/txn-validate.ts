// Checks a transaction branch before it runs, with etcd's rules: a branch may not
// write a key twice, nor put a key that one of its deletes also covers.

import { DuplicateKeyError, InvalidArgumentError } from './errors.ts';
import { hasPrefix } from './prefix.ts';
import type { TxnOp } from './types.ts';

/** Throw if any op names an empty key or the writes of one branch overlap. */
export function validateBranch(ops: TxnOp[]): void {
  const puts = new Set<string>();
  for (const op of ops) {
    if (op.type === 'deletePrefix') continue;
    requireKey(op.key);
    if (op.type !== 'put') continue;
    if (puts.has(op.key)) throw new DuplicateKeyError(op.key);
    puts.add(op.key);
  }
  for (const op of ops) {
    if (op.type === 'delete' && puts.has(op.key)) throw new DuplicateKeyError(op.key);
    if (op.type === 'deletePrefix') {
      for (const key of puts) if (hasPrefix(key, op.prefix)) throw new DuplicateKeyError(key);
    }
  }
}

/** Keys are non-empty strings, as in etcd. */
export function requireKey(key: string): void {
  if (typeof key !== 'string' || key === '') throw new InvalidArgumentError('a key must be a non-empty string');
}
