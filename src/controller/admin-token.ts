// The farm's one admin token. Its hash is a token record, and `adminToken` in the store says
// which record is the admin token; the token itself lives only in `<dir>/admin-token` (0600)
// of the controller that created it, so `corral` on that machine can use it.
//
// The first controller creates it (create-if-absent transaction). A controller finding one
// already in the store cannot recover the token from its hash: it must be given it, by a copy
// of the first controller's file in its own <dir>/admin-token or by `--admin-token-file`
// (`from`). One machine (`corral up`, `replaceLost`) that lost its file gets a new one instead.

import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { CorralError } from '../lib/errors.ts';
import { keys } from '../model/index.ts';
import type { Store, TxnOp } from '../store/types.ts';
import { hashToken, lookupToken, newToken } from './tokens.ts';

export const ADMIN_TOKEN_FILE = 'admin-token';

export interface AdminTokenOptions {
  /** A file holding the farm's admin token (copied from the controller that created it). */
  from?: string;
  /** One machine: if the token file is lost, make a new admin token and retire the old one. */
  replaceLost?: boolean;
}

/** The farm already has an admin token this controller was not given. */
export class AdminTokenMissingError extends CorralError {
  constructor(message: string) {
    super('admin_token_missing', 500, message);
  }
}

interface AdminMarker {
  hash: string;
  createdAt: string;
}

export async function ensureAdminToken(store: Store, dir: string, opts: AdminTokenOptions = {}): Promise<{ token: string; created: boolean }> {
  const file = join(dir, ADMIN_TOKEN_FILE);
  const given = opts.from !== undefined ? await readToken(opts.from) : undefined;
  if (opts.from !== undefined && (given === undefined || (await lookupToken(store, given))?.role !== 'admin')) {
    throw new AdminTokenMissingError(`${opts.from} does not hold this farm's admin token: copy ${ADMIN_TOKEN_FILE} from the folder of the controller that created it`);
  }
  const existing = given ?? (await readToken(file));
  if (existing !== undefined && (await lookupToken(store, existing))?.role === 'admin') {
    if (given !== undefined) await writePrivateFile(file, `${given}
`);
    await ensurePrivate(file);
    // a farm from before the marker: the token in use becomes the farm's one admin token
    await store.txn({ compare: [{ key: keys.adminToken, target: 'version', op: '=', value: 0 }], success: [markerOp(existing)] });
    return { token: existing, created: false };
  }
  const marker = await store.get(keys.adminToken);
  const retire: TxnOp[] = [];
  if (marker) {
    const old = JSON.parse(marker.value) as AdminMarker;
    if (!opts.replaceLost) {
      throw new AdminTokenMissingError(
        `this farm already has an admin token (created ${old.createdAt}), and ${file} does not hold it: ` +
          `copy ${ADMIN_TOKEN_FILE} from the folder of the controller that created it into ${dir} (mode 0600), or pass --admin-token-file <path>`,
      );
    }
    retire.push({ type: 'delete', key: keys.token(old.hash) });
  }
  const { token, op } = newToken({ role: 'admin', name: 'admin' });
  const unchanged = marker
    ? { key: keys.adminToken, target: 'mod' as const, op: '=' as const, value: marker.modRevision }
    : { key: keys.adminToken, target: 'version' as const, op: '=' as const, value: 0 };
  const res = await store.txn({ compare: [unchanged], success: [op, markerOp(token), ...retire] });
  if (!res.succeeded) throw new AdminTokenMissingError(`another controller created this farm's admin token meanwhile: copy ${ADMIN_TOKEN_FILE} from its folder into ${dir} (mode 0600), or pass --admin-token-file <path>`);
  await writePrivateFile(file, `${token}\n`);
  return { token, created: true };
}

function markerOp(token: string): TxnOp {
  const value: AdminMarker = { hash: hashToken(token), createdAt: new Date().toISOString() };
  return { type: 'put', key: keys.adminToken, value: JSON.stringify(value) };
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
