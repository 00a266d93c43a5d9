// Which records of a backup a restored farm starts with. The desired state comes back
// (customers, their tokens, sites, domains, releases, certificates, counters, events, and
// record types this list does not know, such as a newer Corral's); what belonged to the
// old hosts does not: engines and their drains, controllers, assignments, VS statuses,
// routes, unplaced records and the leader (the reconciler rebuilds assignments and routes for the new
// engine), leased keys, join tokens and engine tokens (new hosts join with new ones).
//
// Tokens: a customer's token works on the restored farm as before (its hash is restored).
// The admin token does not: the backup holds only its hash, so the restore retires it and
// makes a new one in <dir>/admin-token. Whoever restores holds the farm from then on.

import { keys, type TokenRecord } from '../model/index.ts';
import type { BackupRecord } from './farm-backup-format.ts';

const LEFT_BEHIND_PREFIXES = [keys.engines, keys.engineDrains, keys.controllers, keys.assignments, keys.vsStatuses, keys.routes, keys.unplaced, keys.joinTokens, keys.wakes];
const LEFT_BEHIND_KEYS = new Set<string>([keys.leader, keys.adminToken]);

export function carriedOver(record: BackupRecord): boolean {
  if (record.leased === true) return false;
  if (LEFT_BEHIND_KEYS.has(record.key)) return false;
  if (LEFT_BEHIND_PREFIXES.some((p) => record.key.startsWith(p))) return false;
  if (record.key.startsWith(keys.tokens)) return tokenRole(record.value) === 'customer';
  return true;
}

function tokenRole(value: string): TokenRecord['role'] | undefined {
  try {
    return (JSON.parse(value) as TokenRecord).role;
  } catch {
    return undefined;
  }
}
