// Join tokens: what an engine or router presents to join the farm. Stored like API
// tokens (only the sha256, under keys.joinToken); listed and revoked by a short id
// (the first 12 hex digits of the hash). Joining trades one for an engine token.

import { keys } from '../model/index.ts';
import type { Store } from '../store/types.ts';
import { generateToken, hashToken, looksLikeToken } from './tokens.ts';

export interface JoinTokenRecord {
  id: string;
  name: string;
  createdAt: string;
  /** ISO time after which the token no longer joins; none: until revoked. */
  expiresAt?: string;
}

export async function createJoinToken(store: Store, name: string, ttlSeconds?: number): Promise<{ token: string; record: JoinTokenRecord }> {
  const token = generateToken();
  const sha = hashToken(token);
  const now = Date.now();
  const record: JoinTokenRecord = {
    id: sha.slice(0, 12), name, createdAt: new Date(now).toISOString(),
    ...(ttlSeconds ? { expiresAt: new Date(now + ttlSeconds * 1000).toISOString() } : {}),
  };
  await store.put(keys.joinToken(sha), JSON.stringify(record));
  return { token, record };
}

export async function listJoinTokens(store: Store): Promise<JoinTokenRecord[]> {
  const { kvs } = await store.range(keys.joinTokens);
  return kvs.map((kv) => JSON.parse(kv.value) as JoinTokenRecord);
}

/** Delete the token with this id; false when there is none. */
export async function revokeJoinToken(store: Store, id: string): Promise<boolean> {
  const { kvs } = await store.range(keys.joinTokens);
  const kv = kvs.find((k) => (JSON.parse(k.value) as JoinTokenRecord).id === id);
  if (!kv) return false;
  await store.delete(kv.key);
  return true;
}

/** The record of a valid, unexpired join token, else undefined. */
export async function checkJoinToken(store: Store, token: string): Promise<JoinTokenRecord | undefined> {
  if (!looksLikeToken(token)) return undefined;
  const kv = await store.get(keys.joinToken(hashToken(token)));
  if (!kv) return undefined;
  const record = JSON.parse(kv.value) as JoinTokenRecord;
  if (record.expiresAt && Date.parse(record.expiresAt) < Date.now()) return undefined;
  return record;
}
