// The managed databases' part of `corral restore`: when the backup holds databases,
// PostgreSQL is set up under the new farm folder (as `corral up` would run it), every
// database made again with its logins and data (the controller's restoreDatabases), and the
// server stopped again. `corral up --dir` then starts it on that folder.
//
// Needs PostgreSQL's binaries on the restoring machine when the backup holds databases
// (else a clear error and nothing restored); a backup without databases needs none.

import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { BackupInvalidError, DATABASE_KEY_FILE, DATABASE_PART_KIND, databasesOf, openDatabaseSecrets, restoreDatabases, type FarmRestorer } from '../controller/index.ts';
import { createDbAdmin, openPostgres } from '../database/index.ts';
import { silentLogger } from '../lib/log.ts';

export const databaseRestorer: FarmRestorer = {
  name: 'databases',
  kinds: [DATABASE_PART_KIND],
  async restore(ctx) {
    const count = databasesOf(ctx.records).length;
    if (count === 0) return;
    const key = await lstat(join(ctx.dir, DATABASE_KEY_FILE)).catch(() => undefined);
    if (!key?.isFile()) throw new BackupInvalidError(`the backup holds ${count} database(s) but not the farm's ${DATABASE_KEY_FILE}, without which their passwords cannot be opened: take the backup again with this Corral`);
    const secrets = await openDatabaseSecrets(ctx.dir);
    const server = await openPostgres({ dir: ctx.dir, log: silentLogger });
    const admin = createDbAdmin(server);
    try {
      const r = await restoreDatabases(ctx, admin, secrets);
      const from = [
        r.fresh.length ? `${r.fresh.length} from the dump taken at backup time` : '',
        r.fromBackup.length ? `${r.fromBackup.length} from their newest database backup (${r.fromBackup.join(', ')})` : '',
        r.empty.length ? `${r.empty.length} empty, no dump in the archive (${r.empty.join(', ')})` : '',
      ].filter(Boolean);
      return `databases ${count} restored with their logins: ${from.join('; ')}`;
    } finally {
      await admin.close();
      await server.close();
    }
  },
};
