// The farm's admin token, kept in `<dir>/admin-token` (mode 0600) so `corral` on the same
// machine can use it. Created on first start; reused while its hash is in the store.

import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Store } from '../store/types.ts';
import { lookupToken, newToken } from './tokens.ts';

export const ADMIN_TOKEN_FILE = 'admin-token';

export async function ensureAdminToken(store: Store, dir: string): Promise<{ token: string; created: boolean }> {
  const file = join(dir, ADMIN_TOKEN_FILE);
  const existing = await readToken(file);
  if (existing !== undefined && (await lookupToken(store, existing))?.role === 'admin') {
    await ensurePrivate(file);
    return { token: existing, created: false };
  }
  const { token, op } = newToken({ role: 'admin', name: 'admin' });
  await store.txn({ compare: [], success: [op] });
  await writePrivateFile(file, `${token}\n`);
  return { token, created: true };
}

async function readToken(file: string): Promise<string | undefined> {
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

async function ensurePrivate(file: string): Promise<void> {
  if (((await stat(file)).mode & 0o077) !== 0) await chmod(file, 0o600);
}

/** Write to a temp file (0600), fsync, then rename over the target: never a half-written file. */
async function writePrivateFile(file: string, content: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(tmp, 'wx', 0o600);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } catch (err) {
    await handle.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await handle.close();
  await rename(tmp, file);
}
