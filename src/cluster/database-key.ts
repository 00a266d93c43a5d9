// The database passwords' key in cluster mode. Passwords are sealed in the store with
// `<dir>/database-key` (controller/database-secrets.ts); every controller of a farm must hold
// the same key, so it is copied like the admin token (`--database-key-file`; by default the
// `database-key` beside `--admin-token-file`, when there is one: copy both files of the first
// controller's folder together), never put in etcd, which every host reads. The first controller makes it; the store keeps only its
// sha256 (keys.databaseKeyId), so a controller started with another key — or with none,
// which would make a new one — refuses to start instead of sealing passwords no other
// controller can open.

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { openDatabaseSecrets, type DatabaseSecrets } from '../controller/index.ts';
import { keys } from '../model/index.ts';
import type { Store } from '../store/index.ts';
import { dbKeyMismatch } from './errors.ts';
import { writeFileAtomic } from '../lib/atomic-file.ts';

const KEY_FILE = 'database-key';
const KEY_BYTES = 32;

/** `from`: a copy of the farm's key; `beside`: the admin token file copied from the first controller (its folder may hold the key too). */
export async function openFarmDatabaseKey(store: Store, dir: string, opts: { from?: string; beside?: string } = {}): Promise<DatabaseSecrets> {
  const file = join(dir, KEY_FILE);
  const besideToken = opts.beside !== undefined ? join(dirname(opts.beside), KEY_FILE) : undefined;
  const from = opts.from ?? (besideToken !== undefined && besideToken !== file && (await readFile(besideToken).then(() => true, () => false)) ? besideToken : undefined);
  if (from !== undefined) {
    const key = await readFile(from).catch((err: NodeJS.ErrnoException) => {
      throw dbKeyMismatch(from, `cannot be read (${err.code ?? err.message})`);
    });
    if (key.length !== KEY_BYTES) throw dbKeyMismatch(from, `is ${key.length} bytes, not a database key (${KEY_BYTES} bytes)`);
    await writeFileAtomic(file, key, { mode: 0o600 });
  }
  const secrets = await openDatabaseSecrets(dir); // makes the key when this folder has none
  const id = createHash('sha256').update(await readFile(file)).digest('hex');
  const claimed = await store.txn({
    compare: [{ key: keys.databaseKeyId, target: 'create', op: '=', value: 0 }],
    success: [{ type: 'put', key: keys.databaseKeyId, value: id }],
  });
  if (!claimed.succeeded) {
    const farm = (await store.get(keys.databaseKeyId))?.value;
    if (farm !== id) throw dbKeyMismatch(from ?? file, 'is not the key this farm\'s database passwords are sealed with');
  }
  return secrets;
}
