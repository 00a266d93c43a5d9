// Bearer tokens: `crl_` + 32 random bytes in base64url. Only sha256(token) is stored, as
// the key of a TokenRecord; the token itself is shown once, to whoever asked for it.

import { randomBytes } from 'node:crypto';
import { hashToken } from '../lib/token-hash.ts';
import { keys, type TokenRecord } from '../model/index.ts';
import type { Store, TxnOp } from '../store/types.ts';

const TOKEN_SHAPE = /^crl_[A-Za-z0-9_-]{43}$/;

export function generateToken(): string {
  return `crl_${randomBytes(32).toString('base64url')}`;
}

export { hashToken };

export function looksLikeToken(value: string): boolean {
  return TOKEN_SHAPE.test(value);
}

/** A token's id: the first 12 hex digits of its hash, by which it is listed and revoked (never enough to find the token). */
export function tokenId(token: string): string {
  return hashToken(token).slice(0, 12);
}

/** A customer's token as listed: its id, never the token or its whole hash. */
export interface TokenListing {
  id: string;
  name: string;
  createdAt: string;
}

/** The customer's tokens, oldest first. */
export async function customerTokens(store: Store, customer: string): Promise<(TokenListing & { key: string })[]> {
  const { kvs } = await store.range(keys.tokens);
  const mine = kvs
    .map((kv) => ({ kv, record: JSON.parse(kv.value) as TokenRecord }))
    .filter(({ record }) => record.role === 'customer' && record.customer === customer)
    .sort((a, b) => a.kv.createRevision - b.kv.createRevision); // the order they were made in
  return mine.map(({ kv, record }) => ({ id: kv.key.slice(keys.tokens.length, keys.tokens.length + 12), name: record.name, createdAt: record.createdAt, key: kv.key }));
}

/** A fresh token and the transaction op that stores its record, to compose with other ops. */
export function newToken(record: Omit<TokenRecord, 'createdAt'>): { token: string; op: TxnOp } {
  const token = generateToken();
  const value: TokenRecord = { ...record, createdAt: new Date().toISOString() };
  return { token, op: { type: 'put', key: keys.token(hashToken(token)), value: JSON.stringify(value) } };
}

/** Create and store a token (e.g. an engine's, from the CLI). Returns the token. */
export async function issueToken(store: Store, record: Omit<TokenRecord, 'createdAt'>): Promise<string> {
  const { token, op } = newToken(record);
  await store.txn({ compare: [], success: [op] });
  return token;
}

/** The record of a presented token, or undefined if it is malformed or unknown. */
export async function lookupToken(store: Store, token: string): Promise<TokenRecord | undefined> {
  if (!looksLikeToken(token)) return undefined;
  const kv = await store.get(keys.token(hashToken(token)));
  return kv ? (JSON.parse(kv.value) as TokenRecord) : undefined;
}
