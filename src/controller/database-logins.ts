// Each database's owner and current login, its password opened: what the plan puts on
// the assignments of a site bound to it (readSnapshot and the farm mirror).

import type { DatabaseRecord } from '../model/index.ts';
import type { DatabaseSecrets } from './database-secrets.ts';
import type { FarmSnapshot } from './plan.ts';

/** A database whose password cannot be opened (another controller's key) is left out. */
export function databaseLogins(records: DatabaseRecord[], secrets: DatabaseSecrets): NonNullable<FarmSnapshot['databases']> {
  const out: NonNullable<FarmSnapshot['databases']> = new Map();
  for (const db of records) {
    const login = db.logins.at(-1);
    if (!login) continue;
    try {
      out.set(db.name, { customer: db.customer, login: { name: db.pgName, user: login.user, password: secrets.open(login.sealedPassword) } });
    } catch {
      // sealed with another controller's key: its sites start without credentials rather than with wrong ones
    }
  }
  return out;
}
