// Which blobs the store's records name. A farm backup carries exactly these (blobs no record
// names are collected anyway, blob-gc.ts). Each referrer reads the records of one prefix:
// another record type that keeps its content in the blob store (a database dump) adds one.

import { keys, type DatabaseBackup, type Release } from '../model/index.ts';

export interface BlobReferrer {
  /** The records it reads: keys under this prefix. */
  prefix: string;
  /** The sha256s one record names (none for a record it cannot read). */
  blobs(value: string): string[];
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

export const BLOB_REFERRERS: BlobReferrer[] = [
  { prefix: keys.releases, blobs: (value) => [(JSON.parse(value) as Release).sha256] },
  // a database backup's pg_dump archive (`corral db backups` lists them on a restored farm too)
  { prefix: keys.databaseBackups, blobs: (value) => [(JSON.parse(value) as DatabaseBackup).sha256] },
];

/** Every sha256 named by `records` through `referrers`, sorted. */
export function referencedBlobs(records: readonly { key: string; value: string }[], referrers: readonly BlobReferrer[] = BLOB_REFERRERS): string[] {
  const out = new Set<string>();
  for (const r of records) {
    for (const referrer of referrers) {
      if (!r.key.startsWith(referrer.prefix)) continue;
      let named: string[];
      try {
        named = referrer.blobs(r.value);
      } catch {
        continue; // a record that is not JSON names nothing
      }
      for (const sha256 of named) if (typeof sha256 === 'string' && SHA256_HEX.test(sha256)) out.add(sha256);
    }
  }
  return [...out].sort();
}
