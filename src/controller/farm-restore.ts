// `corral restore`: a backup archive laid out as a farm folder that `corral up --dir` serves.
//
// Order: refuse a non-empty target → extract into <dir>/.restore (the release tarball code:
// every entry checked before anything is written — traversal, absolute paths, links leading
// out, special files, size and expansion limits, truncation — and nothing written outside
// it) → the files must be exactly the manifest's parts, regular files, each of its size and
// sha256 → the records carried over (farm-restore-records.ts) into a new store → blobs into
// the blob store → farm-folder files → a new admin token → the restorers, in order. On any
// failure the folder is left as it was found (removed when the restore made it).

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, lstat, mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { extractTarball, TarballError, type TarLimits } from '../lib/tarball.ts';
import { keys } from '../model/index.ts';
import type { Store, TxnOp } from '../store/types.ts';
import { ADMIN_TOKEN_FILE, ensureAdminToken } from './admin-token.ts';
import { openBlobStore } from './blob-store.ts';
import { BackupInvalidError, RestoreTargetNotEmptyError } from './errors.ts';
import {
  BACKUP_FORMAT, BACKUP_VERSION, BUILTIN_KINDS, MANIFEST_PATH, RECORDS_PATH, partPathProblem,
  type BackupManifest, type BackupPart, type BackupRecord, type FarmRestorer, type RecordsPart,
} from './farm-backup-format.ts';
import { carriedOver } from './farm-restore-records.ts';

export interface RestoreOptions {
  /** Opens the new farm's store at this file (the assembly point passes the SQLite store). */
  openStore: (file: string) => Promise<Store>;
  /** Run after the store, blobs and files are in place, in order (e.g. managed databases). */
  restorers?: readonly FarmRestorer[];
  /** Overrides of the archive limits (RESTORE_TAR_LIMITS). */
  limits?: Partial<TarLimits>;
}

export interface RestoreResult {
  dir: string;
  manifest: BackupManifest;
  /** Records written to the new store, and those left behind (old hosts' state, old admin and engine tokens). */
  records: { restored: number; leftBehind: number };
  blobs: number;
  adminTokenFile: string;
  /** What the restorers said they restored, one line each. */
  notes: string[];
}

/**
 * Limits for a backup archive: its size is whatever the farm's is, but a decompression bomb
 * stops early (expansion ratio past the first 64 MiB; blobs are gzip already, so a real
 * backup inflates little).
 */
export const RESTORE_TAR_LIMITS: Partial<TarLimits> = {
  maxUnpackedBytes: 1024 * 1024 * 1024 * 1024,
  maxEntries: 1_000_000,
  maxExpansionRatio: 50,
  ratioFreeBytes: 64 * 1024 * 1024,
};

const STAGING = '.restore';
const TXN_OPS = 500;

export async function restoreFarm(archive: string, target: string, opts: RestoreOptions): Promise<RestoreResult> {
  const dir = resolve(target);
  const archiveStat = await lstat(archive).catch(() => undefined);
  if (!archiveStat?.isFile()) throw new BackupInvalidError(`${archive} is not a file: give the path of a backup archive (corral backup --out)`);
  const made = await prepareTarget(dir);
  const staging = join(dir, STAGING);
  let store: Store | undefined;
  try {
    await extract(archive, staging, { maxCompressedBytes: Math.max(1, archiveStat.size), ...RESTORE_TAR_LIMITS, ...opts.limits });
    const manifest = await readManifest(staging);
    await checkParts(staging, manifest, opts.restorers ?? []);
    const backup = await readRecords(join(staging, RECORDS_PATH));

    store = await opts.openStore(join(dir, 'store.db'));
    const kept = backup.records.filter(carriedOver);
    await writeRecords(store, kept);
    const blobs = await openBlobStore(join(dir, 'blobs'));
    const blobParts = manifest.parts.filter((p) => p.kind === 'blob');
    for (const p of blobParts) {
      await rename(join(staging, p.path), blobs.path(p.sha256));
      await chmod(blobs.path(p.sha256), 0o444);
    }
    for (const p of manifest.parts.filter((x) => x.kind === 'file')) await placeFile(join(staging, p.path), join(dir, p.path.slice('files/'.length)));
    // the old admin token's hash was left behind: this makes the new one (<dir>/admin-token)
    await ensureAdminToken(store, dir, { replaceLost: true });
    const notes: string[] = [];
    for (const r of opts.restorers ?? []) {
      const note = await r.restore({ dir, store, blobs, manifest, staging, records: backup.records });
      if (typeof note === 'string') notes.push(note);
    }
    await store.close();
    store = undefined;
    for (const f of ['store.db', 'store.db-wal', 'store.db-shm']) await chmod(join(dir, f), 0o600).catch(() => undefined);
    await rm(staging, { recursive: true, force: true });
    return { dir, manifest, records: { restored: kept.length, leftBehind: backup.records.length - kept.length }, blobs: blobParts.length, adminTokenFile: join(dir, ADMIN_TOKEN_FILE), notes };
  } catch (err) {
    await store?.close().catch(() => undefined);
    await undo(dir, made);
    throw err;
  }
}

/** The target must be missing or an empty folder; true when the restore makes it. */
async function prepareTarget(dir: string): Promise<boolean> {
  const st = await lstat(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (st === undefined) {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    return true;
  }
  if (!st.isDirectory()) throw new RestoreTargetNotEmptyError(dir, 'is not a folder');
  if ((await readdir(dir)).length > 0) throw new RestoreTargetNotEmptyError(dir);
  await chmod(dir, 0o700);
  return false;
}

async function undo(dir: string, made: boolean): Promise<void> {
  if (made) {
    await rm(dir, { recursive: true, force: true });
    return;
  }
  for (const name of await readdir(dir).catch(() => [])) await rm(join(dir, name), { recursive: true, force: true });
}

async function extract(archive: string, staging: string, limits: Partial<TarLimits>): Promise<void> {
  try {
    await extractTarball(archive, staging, limits);
  } catch (err) {
    if (err instanceof TarballError) throw new BackupInvalidError(`${archive} is refused as a backup archive (${err.code}): ${err.message.replace(/^release /, 'the archive ')}`);
    throw err;
  }
}

async function readManifest(staging: string): Promise<BackupManifest> {
  const file = join(staging, MANIFEST_PATH);
  const st = await lstat(file).catch(() => undefined);
  if (!st?.isFile()) throw new BackupInvalidError(`the archive has no ${MANIFEST_PATH}: it is not a Corral farm backup, or it was cut short`);
  let m: BackupManifest;
  try {
    m = JSON.parse(await readFile(file, 'utf8')) as BackupManifest;
  } catch (err) {
    throw new BackupInvalidError(`${MANIFEST_PATH} is not valid JSON: ${(err as Error).message}`);
  }
  if (m?.format !== BACKUP_FORMAT) throw new BackupInvalidError(`${MANIFEST_PATH} is not a Corral farm backup's (format ${JSON.stringify(m?.format)})`);
  if (!Number.isInteger(m.version) || m.version > BACKUP_VERSION) throw new BackupInvalidError(`the backup has format version ${m.version}; this Corral reads up to ${BACKUP_VERSION}: restore it with a newer Corral`);
  if (!Array.isArray(m.parts) || !m.parts.every(isPart)) throw new BackupInvalidError(`${MANIFEST_PATH} has a malformed parts list`);
  return m;
}

function isPart(p: unknown): p is BackupPart {
  const x = p as BackupPart;
  return typeof x === 'object' && x !== null && typeof x.path === 'string' && typeof x.kind === 'string' && Number.isSafeInteger(x.size) && x.size >= 0 && typeof x.sha256 === 'string' && /^[0-9a-f]{64}$/.test(x.sha256);
}

/** The extracted files are exactly the parts (and the manifest), regular files, each as listed. */
async function checkParts(staging: string, manifest: BackupManifest, restorers: readonly FarmRestorer[]): Promise<void> {
  const known = new Set<string>([...BUILTIN_KINDS, ...restorers.flatMap((r) => r.kinds ?? [])]);
  const listed = new Map<string, BackupPart>();
  for (const p of manifest.parts) {
    const problem = partPathProblem(p);
    if (problem) throw new BackupInvalidError(`part ${JSON.stringify(p.path)} (${p.kind}) ${problem}`);
    if (!known.has(p.kind)) throw new BackupInvalidError(`part ${p.path} is of kind "${p.kind}", which this Corral cannot restore`);
    if (listed.has(p.path) || p.path === MANIFEST_PATH) throw new BackupInvalidError(`part ${p.path} is listed twice`);
    listed.set(p.path, p);
  }
  if (!manifest.parts.some((p) => p.kind === 'store')) throw new BackupInvalidError(`the manifest lists no ${RECORDS_PATH}`);
  for (const rel of await filesUnder(staging)) {
    if (rel === MANIFEST_PATH) continue;
    if (!listed.has(rel)) throw new BackupInvalidError(`the archive holds ${rel}, which its manifest does not list`);
  }
  for (const p of listed.values()) {
    const abs = join(staging, p.path);
    const st = await lstat(abs).catch(() => undefined);
    if (!st?.isFile()) throw new BackupInvalidError(`part ${p.path} is missing from the archive`);
    if (st.size !== p.size) throw new BackupInvalidError(`part ${p.path} is ${st.size} bytes, the manifest says ${p.size}`);
    const hash = createHash('sha256');
    await pipeline(createReadStream(abs), hash);
    const got = hash.digest('hex');
    if (got !== p.sha256) throw new BackupInvalidError(`part ${p.path} hashes to ${got}, the manifest says ${p.sha256}: the archive is damaged`);
  }
}

/** Every non-directory below `root`, relative; a symlink (or anything but a file) is refused. */
async function filesUnder(root: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const d of await readdir(join(root, rel), { withFileTypes: true })) {
    const path = rel === '' ? d.name : `${rel}/${d.name}`;
    if (d.isDirectory()) out.push(...(await filesUnder(root, path)));
    else if (d.isFile()) out.push(path);
    else throw new BackupInvalidError(`the archive holds ${path}, which is ${d.isSymbolicLink() ? 'a symlink' : 'not a regular file'}; a farm backup has only files`);
  }
  return out;
}

async function readRecords(file: string): Promise<RecordsPart> {
  let r: RecordsPart;
  try {
    r = JSON.parse(await readFile(file, 'utf8')) as RecordsPart;
  } catch (err) {
    throw new BackupInvalidError(`${RECORDS_PATH} is not valid JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(r?.records)) throw new BackupInvalidError(`${RECORDS_PATH} has no records list`);
  const seen = new Set<string>();
  for (const rec of r.records as BackupRecord[]) {
    if (typeof rec?.key !== 'string' || typeof rec.value !== 'string' || !rec.key.startsWith(keys.all) || seen.has(rec.key)) {
      throw new BackupInvalidError(`${RECORDS_PATH} has a malformed or repeated record (${JSON.stringify(String(rec?.key)).slice(0, 120)})`);
    }
    seen.add(rec.key);
  }
  return r;
}

async function writeRecords(store: Store, records: readonly BackupRecord[]): Promise<void> {
  for (let i = 0; i < records.length; i += TXN_OPS) {
    const ops: TxnOp[] = records.slice(i, i + TXN_OPS).map((r) => ({ type: 'put', key: r.key, value: r.value }));
    await store.txn({ compare: [], success: ops });
  }
}

async function placeFile(from: string, to: string): Promise<void> {
  await mkdir(dirname(to), { recursive: true, mode: 0o700 });
  await chmod(from, 0o600);
  await rename(from, to);
}
