// Translating between the Store's shapes and etcd's wire shapes (etcd3's raw RPC
// types): keys under the store's namespace, revisions as numbers, compares and ops, lease
// ids a JS number holds. Only etcd3's types are imported: the gateway store uses it too.

import { randomInt } from 'node:crypto';
import type { ICompare, IKeyValue, IRequestOp } from 'etcd3';
import { InvalidArgumentError } from './errors.ts';
import type { Compare, KeyValue, TxnOp } from './types.ts';

/** Keys of one store live under its namespace; etcd sees namespace + key. */
export class Keyspace {
  constructor(private readonly namespace: string) {}

  key(key: string): Buffer {
    return Buffer.from(this.namespace + key, 'utf8');
  }

  /** [start, end) covering every key that starts with prefix (etcd's byte-wise prefix range). */
  range(prefix: string): { key: Buffer; range_end: Buffer } {
    const key = this.key(prefix);
    return { key, range_end: byteRangeEnd(key) };
  }

  unkey(raw: Buffer): string {
    return raw.toString('utf8').slice(this.namespace.length);
  }

  kv(raw: IKeyValue): KeyValue {
    return {
      key: this.unkey(raw.key),
      value: raw.value.toString('utf8'),
      createRevision: Number(raw.create_revision),
      modRevision: Number(raw.mod_revision),
      version: Number(raw.version),
      lease: Number(raw.lease),
    };
  }

  compare(cmp: Compare): ICompare {
    const result = ({ '=': 'Equal', '!=': 'NotEqual', '<': 'Less', '>': 'Greater' } as const)[cmp.op];
    const key = this.key(cmp.key);
    switch (cmp.target) {
      case 'value':
        return { key, result, target: 'Value', value: Buffer.from(cmp.value, 'utf8') };
      case 'mod':
        return { key, result, target: 'Mod', mod_revision: cmp.value };
      case 'create':
        return { key, result, target: 'Create', create_revision: cmp.value };
      case 'version':
        return { key, result, target: 'Version', version: cmp.value };
    }
  }

  op(op: TxnOp): IRequestOp {
    switch (op.type) {
      case 'put':
        return { request_put: { key: this.key(op.key), value: Buffer.from(op.value, 'utf8'), lease: op.lease ?? 0 } };
      case 'delete':
        return { request_delete_range: { key: this.key(op.key) } };
      case 'deletePrefix':
        return { request_delete_range: this.range(op.prefix) };
      case 'get':
        return { request_range: { key: this.key(op.key) } };
    }
  }
}

/** The smallest byte string greater than every string starting with key; '\0' (everything) when there is none. */
export function byteRangeEnd(key: Buffer): Buffer {
  const end = Buffer.from(key);
  for (let i = end.length - 1; i >= 0; i--) {
    if ((end[i] as number) < 0xff) {
      end[i] = (end[i] as number) + 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}

/**
 * Grant a lease of ttlSeconds through grant(id), with an id a JS number holds: etcd picks
 * 63-bit ids, so the store asks for a random one below 2^53 (a clash is retried).
 */
export async function grantLeaseWithSafeId(ttlSeconds: number, grant: (id: number) => Promise<number>): Promise<number> {
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1) throw new InvalidArgumentError(`lease TTL must be a whole number of seconds >= 1, got ${ttlSeconds}`);
  for (let attempt = 0; ; attempt++) {
    try {
      return await grant(randomInt(1, 2 ** 47) * 64 + randomInt(0, 64));
    } catch (err) {
      if (attempt >= 3 || !/lease already exists/.test((err as Error).message)) throw err;
    }
  }
}
