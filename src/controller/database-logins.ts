// Each database's owner and current login, its password opened: what the plan puts on
// the assignments of a site bound to it (readSnapshot and the farm mirror), and what a
// site's status compares its servers' logins with.

import { keys, type DatabaseRecord, type Site } from '../model/index.ts';
import type { Store } from '../store/types.ts';
import type { DatabaseSecrets } from './database-secrets.ts';
import type { FarmSnapshot } from './plan.ts';
import { readRecord } from './records.ts';

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

/**
 * The user of the login a site's servers get now (plan.ts siteDatabase, from the store):
 * its database's current one, when the database is its customer's and its password opens.
 */
export async function siteLoginUser(store: Store, site: Site, secrets: DatabaseSecrets | undefined): Promise<string | undefined> {
  if (site.database === undefined || secrets === undefined) return undefined;
  const stored = await readRecord<DatabaseRecord>(store, keys.database(site.database));
  return stored ? loginUserOf(site, databaseLogins([stored.value], secrets)) : undefined;
}

/** siteLoginUser from the logins databaseLogins opened (every database's, or some). */
export function loginUserOf(site: Site, logins: FarmSnapshot['databases']): string | undefined {
  const db = site.database !== undefined ? logins?.get(site.database) : undefined;
  return db?.customer === site.customer ? db.login.user : undefined;
}
