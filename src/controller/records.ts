// Reading JSON records from the store, keeping the KeyValue for compare-and-swap.

import type { KeyValue, Store } from '../store/types.ts';

export interface Stored<T> {
  value: T;
  kv: KeyValue;
}

export async function readRecord<T>(store: Store, key: string): Promise<Stored<T> | undefined> {
  const kv = await store.get(key);
  return kv ? { value: JSON.parse(kv.value) as T, kv } : undefined;
}

export async function listRecords<T>(store: Store, prefix: string): Promise<T[]> {
  const { kvs } = await store.range(prefix);
  return kvs.map((kv) => JSON.parse(kv.value) as T);
}
