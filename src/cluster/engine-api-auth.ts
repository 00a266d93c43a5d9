// Who may call an engine's API: the farm's controllers, and only they. They present the
// farm's one admin token (every controller holds it: controller/admin-token.ts), and the
// engine checks it against the store, which it reads anyway: the token's sha256 must be
// the one `keys.adminToken` names. No secret of its own on the engine, nothing new to
// hand out or rotate. A token of the farm that is not that one (a customer's, an
// engine's) is refused with 403; no token, or one the farm does not know, with 401.

import { hashToken } from '../controller/index.ts';
import { keys } from '../model/index.ts';
import type { Store } from '../store/index.ts';
import { engineApiForbidden, engineApiUnauthorized } from './errors.ts';

/** Resolves when `authorization` carries the farm's admin token; rejects with a 401 or 403 ClusterError otherwise. */
export async function checkControllerToken(store: Store, authorization: string | undefined): Promise<void> {
  const token = /^Bearer +(\S+)\s*$/i.exec(authorization ?? '')?.[1];
  if (!token) throw engineApiUnauthorized('no bearer token');
  const hash = hashToken(token);
  const marker = await store.get(keys.adminToken);
  // comparing hashes leaks nothing of the token; a farm restored without a marker accepts no one
  if (marker && (JSON.parse(marker.value) as { hash?: string }).hash === hash) return;
  if (await store.get(keys.token(hash))) throw engineApiForbidden();
  throw engineApiUnauthorized('invalid token');
}
