// Who may call a role's own API (node-api.ts: an engine's, a router node's): the farm's
// controllers, and only they. They present the farm's one admin token (every controller
// holds it: controller/admin-token.ts), and the role checks it against the store, which it
// reads anyway: the token's sha256 must be the one `keys.adminToken` names. No secret of
// the role's own, nothing new to hand out or rotate. A token of the farm that is not that
// one (a customer's, an engine's) is refused with 403; no token, or one the farm does not
// know, with 401. Loads no controller code (a router node loads this).

import { hashToken } from '../lib/token-hash.ts';
import { keys } from '../model/index.ts';
import type { Store } from '../store/index.ts';
import { apiForbidden, apiUnauthorized, type ApiRole } from './errors.ts';

/** Resolves when `authorization` carries the farm's admin token; rejects with a 401 or 403 ClusterError of `role`'s API otherwise. */
export async function checkControllerToken(store: Store, authorization: string | undefined, role: ApiRole): Promise<void> {
  const token = /^Bearer +(\S+)\s*$/i.exec(authorization ?? '')?.[1];
  if (!token) throw apiUnauthorized(role, 'no bearer token');
  const hash = hashToken(token);
  const marker = await store.get(keys.adminToken);
  // comparing hashes leaks nothing of the token; a farm restored without a marker accepts no one
  if (marker && (JSON.parse(marker.value) as { hash?: string }).hash === hash) return;
  if (await store.get(keys.token(hash))) throw apiForbidden(role);
  throw apiUnauthorized(role, 'invalid token');
}
