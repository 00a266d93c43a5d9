// The farm backup archive: a .tar.gz whose last entry, `manifest.json`, lists every other
// entry (a "part") with its kind, size and sha256. Restore accepts an archive only when its
// files are exactly the manifest's parts and every one hashes as listed.
//
//   store/records.json    the store's records at one revision (kind "store")
//   blobs/<sha256>        a content-addressed blob: releases, database dumps (kind "blob")
//   files/<path>          a file of the farm folder, e.g. files/tls/dev.key (kind "file")
//   databases/dumps.json  which blob is each database's fresh dump (kind "database",
//                         farm-backup-databases.ts)
//   <other>/…             a part of another kind, for a restorer that knows it
//
// New part kinds come with a restorer (FarmRestorer): the archive format does not change.

import type { KeyValue, Store } from '../store/types.ts';
import type { BlobStore } from './blob-store.ts';

export const BACKUP_FORMAT = 'corral-farm-backup';
export const BACKUP_VERSION = 1;
export const MANIFEST_PATH = 'manifest.json';
export const RECORDS_PATH = 'store/records.json';

export interface BackupPart {
  /** Where the part is in the archive (relative, forward slashes). */
  path: string;
  kind: string;
  size: number;
  sha256: string;
}

export interface BackupManifest {
  format: typeof BACKUP_FORMAT;
  version: number;
  createdAt: string;
  /** The kind of store the records were read from (sqlite, etcd) and its revision then. */
  store: { kind: string; revision: number };
  parts: BackupPart[];
}

/** One record as kept in `store/records.json` (revisions are the source store's, for reference). */
export interface BackupRecord {
  key: string;
  value: string;
  modRevision: number;
  /** The key hung on a lease (a registration, a status): never restored. */
  leased?: true;
}

export interface RecordsPart {
  revision: number;
  records: BackupRecord[];
}

/** What a restorer is given once the restored store and blobs are in place. */
export interface RestoreContext {
  /** The new farm folder. */
  dir: string;
  /** The restored store (records already written), open until every restorer has run. */
  store: Store;
  blobs: BlobStore;
  manifest: BackupManifest;
  /** The extracted archive: a part's file is `join(staging, part.path)`; removed after the restore. */
  staging: string;
  /** Every record of the backup, also those the restore did not carry over (engines, assignments…). */
  records: readonly BackupRecord[];
}

/**
 * A step run after the store and blobs are restored, in order, e.g. managed databases
 * loading their dumps. `kinds`: the part kinds it takes care of (a part of a kind no
 * restorer names is refused before anything is written).
 */
export interface FarmRestorer {
  name: string;
  kinds?: readonly string[];
  /** May return a line for the operator (what it restored). */
  restore(ctx: RestoreContext): Promise<string | void>;
}

/** The part kinds the restore itself handles. */
export const BUILTIN_KINDS = ['store', 'blob', 'file'] as const;

const BLOB_PATH = /^blobs\/([0-9a-f]{64})$/;
/**
 * Farm-folder files a backup may carry: the TLS folder and the database passwords' key only
 * (never the store or the admin token).
 */
const FILE_PATH = /^files\/(?:tls\/[A-Za-z0-9._-]+|database-key)$/;
const OTHER_PATH = /^[a-z][a-z0-9-]*\/[A-Za-z0-9._-]+(?:\/[A-Za-z0-9._-]+)*$/;

/** Why a part's path does not fit its kind, or undefined when it does. */
export function partPathProblem(part: BackupPart): string | undefined {
  if (part.path.split('/').some((s) => s === '..' || s === '.')) return 'has a . or .. segment';
  switch (part.kind) {
    case 'store':
      return part.path === RECORDS_PATH ? undefined : `must be ${RECORDS_PATH}`;
    case 'blob': {
      const m = BLOB_PATH.exec(part.path);
      if (!m) return 'must be blobs/<sha256>';
      return m[1] === part.sha256 ? undefined : 'is not named by its sha256';
    }
    case 'file':
      return FILE_PATH.test(part.path) ? undefined : 'must be files/tls/<name> or files/database-key';
    default:
      return OTHER_PATH.test(part.path) && !part.path.startsWith('files/') && !part.path.startsWith('blobs/') && !part.path.startsWith('store/')
        ? undefined
        : 'must be <kind folder>/<relative path>';
  }
}

/** The records of the store as they go into the archive. */
export function recordsPart(kvs: readonly KeyValue[], revision: number): RecordsPart {
  return { revision, records: kvs.map((kv) => ({ key: kv.key, value: kv.value, modRevision: kv.modRevision, ...(kv.lease !== 0 ? { leased: true as const } : {}) })) };
}
