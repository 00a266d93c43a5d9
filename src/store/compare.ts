// Evaluating a transaction's compares with etcd's rules, so that SQLite and etcd
// agree: a missing key has modRevision 0, createRevision 0 and version 0, and any
// value compare on a missing key fails ('!=' included: etcd cannot express "absent").

import type { Compare, KeyValue } from './types.ts';

/** Whether one compare holds against the key's current state (undefined: missing). */
export function compareHolds(cmp: Compare, kv: KeyValue | undefined): boolean {
  if (cmp.target === 'value') {
    if (kv === undefined) return false;
    return cmp.op === '=' ? kv.value === cmp.value : kv.value !== cmp.value;
  }
  const actual = cmp.target === 'mod' ? (kv?.modRevision ?? 0) : cmp.target === 'create' ? (kv?.createRevision ?? 0) : (kv?.version ?? 0);
  switch (cmp.op) {
    case '=':
      return actual === cmp.value;
    case '!=':
      return actual !== cmp.value;
    case '<':
      return actual < cmp.value;
    case '>':
      return actual > cmp.value;
  }
}
