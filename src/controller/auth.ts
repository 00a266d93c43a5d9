// Authentication: `Authorization: Bearer <token>` → request.principal. Runs as an onRequest
// hook, before the body is read or validated, so a caller without a valid token learns
// nothing but 401. What a principal may do is decided in access.ts.

import type { FastifyInstance } from 'fastify';
import type { Store } from '../store/types.ts';
import { UnauthorizedError } from './errors.ts';
import type { Principal } from './principal.ts';
import { lookupToken, tokenId } from './tokens.ts';

export function registerAuth(app: FastifyInstance, store: Store): void {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.config?.public === true) return;
    request.principal = await authenticate(store, request.headers.authorization);
  });
}

export async function authenticate(store: Store, header: string | undefined): Promise<Principal> {
  const match = /^Bearer +(\S+)\s*$/i.exec(header ?? '');
  if (!match?.[1]) throw new UnauthorizedError();
  const record = await lookupToken(store, match[1]);
  if (!record) throw new UnauthorizedError('invalid token');
  switch (record.role) {
    case 'admin':
    case 'engine':
      return { role: record.role, tokenName: record.name };
    case 'customer':
      if (!record.customer) throw new UnauthorizedError('invalid token');
      return { role: 'customer', customer: record.customer, tokenName: record.name, tokenId: tokenId(match[1]) };
  }
}

/** How often a response that stays open checks that the token it was opened with still works. */
const TOKEN_RECHECK_MS = 5_000;

/**
 * For a response that stays open (the status stream, a followed log): end() once the token
 * it was opened with stops working — revoked, or its customer deleted — checked every
 * TOKEN_RECHECK_MS. A store that cannot answer ends nothing. Returns the stop.
 */
export function endWhenRevoked(store: Store, header: string | undefined, end: () => void): () => void {
  const timer = setInterval(() => {
    authenticate(store, header).then(
      () => {},
      (err: unknown) => {
        if (err instanceof UnauthorizedError) end();
      },
    );
  }, TOKEN_RECHECK_MS);
  timer.unref();
  return () => clearInterval(timer);
}
