// `corral restore`: the assembly of a restore — the controller's restoreFarm with the
// one-machine farm's store (SQLite) and the restorers of other parts of the farm.
//
// A part that keeps more than records and blobs (e.g. managed databases loading their
// dumps into a fresh server) adds a FarmRestorer to FARM_RESTORERS: it runs after the
// store, blobs and files are in place, with the restored store open, and may claim part
// kinds of its own (see src/controller/farm-backup-format.ts).
import { restoreFarm, type FarmRestorer, type RestoreResult } from '../controller/index.ts';
import { openSqliteStore } from '../store/index.ts';
import { databaseRestorer } from './database-restorer.ts';

export const FARM_RESTORERS: FarmRestorer[] = [databaseRestorer];

export function restoreFolder(archive: string, dir: string): Promise<RestoreResult> {
  return restoreFarm(archive, dir, { openStore: (file) => openSqliteStore(file), restorers: FARM_RESTORERS });
}
