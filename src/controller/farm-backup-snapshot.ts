// A consistent snapshot of the farm for a backup: the store's records read in one range at
// one revision (one SQLite read, one etcd range: the same through the Store interface on
// both kinds), then an open handle on every blob those records name. A blob is stored
// before the record naming it is written, so every blob the snapshot needs existed at its
// revision; an open handle keeps its content even if the collector deletes it meanwhile.
// This controller's collector is paused from the read until every handle is open
// (`pauseRemovals`), so a record deleted after the read cannot lose its blob before the
// open. A blob this controller lacks and fetches from a peer (cluster mode) may still be
// collected there meanwhile: then the snapshot is taken again (a few times) at a newer revision.
// With a database service, every database the records name is dumped afresh right after
// the read (farm-backup-databases.ts): its dump is one more blob of the snapshot.

import { open, readFile, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { keys } from '../model/index.ts';
import type { Store } from '../store/types.ts';
import type { BlobStore } from './blob-store.ts';
import { BLOB_REFERRERS, referencedBlobs, type BlobReferrer } from './blob-references.ts';
import { BackupBlobMissingError } from './errors.ts';
import { DATABASE_DUMPS_PATH, DATABASE_PART_KIND, dumpDatabases, type DatabaseDump } from './farm-backup-databases.ts';
import { recordsPart, type RecordsPart } from './farm-backup-format.ts';
import type { DatabaseService } from './options.ts';

export interface FarmSnapshotSource {
  store: Store;
  blobs: BlobStore;
  /** Files of the farm folder to carry when they exist (e.g. tls/dev.crt), relative to `root`. */
  files?: { root: string; paths: readonly string[] };
  /** Cluster mode: fetch a blob this controller lacks from another one into `blobs`; false when none has it. */
  fetchBlob?: (sha256: string) => Promise<boolean>;
  referrers?: readonly BlobReferrer[];
  /** Dumps every database afresh into the snapshot (the farm's database service). */
  databases?: Pick<DatabaseService, 'dump'>;
}

export interface SnapshotBlob {
  sha256: string;
  size: number;
  handle: FileHandle;
}

export interface FarmSnapshot {
  storeKind: string;
  records: RecordsPart;
  blobs: SnapshotBlob[];
  /** Farm-folder files, by their path relative to the folder. */
  files: { path: string; data: Buffer }[];
  /** Other small parts, of kinds a restorer knows (e.g. databases/dumps.json). */
  parts: { path: string; kind: string; data: Buffer }[];
  /** Closes the blob handles. Safe twice. */
  close(): Promise<void>;
}

const ATTEMPTS = 3;

export async function takeFarmSnapshot(src: FarmSnapshotSource): Promise<FarmSnapshot> {
  let missing = '';
  const dumped = new Map<string, DatabaseDump>();
  const releases: (() => void)[] = [];
  const releaseDumps = () => releases.splice(0).forEach((release) => release());
  try {
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      const snapshot = await attemptSnapshot(src, dumped, releases);
      if (typeof snapshot !== 'string') {
        const close = snapshot.close;
        return { ...snapshot, close: () => close().finally(releaseDumps) };
      }
      missing = snapshot;
    }
  } catch (err) {
    releaseDumps();
    throw err;
  }
  releaseDumps();
  throw new BackupBlobMissingError(missing, 'named by a record of the store');
}

/** One try: the snapshot, or the sha256 of a blob that went missing meanwhile. */
async function attemptSnapshot(src: FarmSnapshotSource, dumped: Map<string, DatabaseDump>, releases: (() => void)[]): Promise<FarmSnapshot | string> {
  const resume = src.blobs.pauseRemovals();
  try {
    return await attemptPaused(src, dumped, releases);
  } finally {
    resume();
  }
}

async function attemptPaused(src: FarmSnapshotSource, dumped: Map<string, DatabaseDump>, releases: (() => void)[]): Promise<FarmSnapshot | string> {
  const { kvs, revision } = await src.store.range(keys.all);
  const wanted = referencedBlobs(kvs, src.referrers ?? BLOB_REFERRERS);
  const parts: FarmSnapshot['parts'] = [];
  if (src.databases) {
    const taken = await dumpDatabases(src.databases, src.blobs, kvs, dumped);
    releases.push(taken.release);
    for (const d of taken.dumps) if (!wanted.includes(d.sha256)) wanted.push(d.sha256);
    if (taken.dumps.length > 0) parts.push({ path: DATABASE_DUMPS_PATH, kind: DATABASE_PART_KIND, data: Buffer.from(JSON.stringify({ dumps: taken.dumps }, null, 1)) });
  }
  const opened: SnapshotBlob[] = [];
  let gap: string | undefined;
  for (const sha256 of wanted) {
    const handle = (await openBlob(src.blobs, sha256)) ?? ((await src.fetchBlob?.(sha256)) ? await openBlob(src.blobs, sha256) : undefined);
    if (!handle) {
      gap = sha256;
      break;
    }
    opened.push({ sha256, size: (await handle.stat()).size, handle });
  }
  if (gap === undefined) {
    const files = await readFiles(src.files);
    let closed = false;
    return {
      storeKind: src.store.kind, records: recordsPart(kvs, revision), blobs: opened, files, parts,
      async close() {
        if (closed) return;
        closed = true;
        await Promise.all(opened.map((b) => b.handle.close().catch(() => undefined)));
      },
    };
  }
  await Promise.all(opened.map((b) => b.handle.close()));
  return gap;
}

async function openBlob(blobs: BlobStore, sha256: string): Promise<FileHandle | undefined> {
  try {
    return await open(blobs.path(sha256), 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

async function readFiles(files: FarmSnapshotSource['files']): Promise<{ path: string; data: Buffer }[]> {
  const out: { path: string; data: Buffer }[] = [];
  for (const path of files?.paths ?? []) {
    const abs = join(files!.root, path);
    const st = await stat(abs).catch(() => undefined);
    if (st?.isFile()) out.push({ path, data: await readFile(abs) });
  }
  return out;
}
