// The hash under which a bearer token is known: hex sha256. The controller stores only
// this (src/controller/tokens.ts); a role's own API (src/cluster node-api-auth.ts) checks a
// caller's token against it without loading the controller.

import { createHash } from 'node:crypto';

/** Hex sha256 of the token: the key under which its record is stored. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
