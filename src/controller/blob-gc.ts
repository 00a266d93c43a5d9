// Garbage collection of release blobs. A blob is content-addressed and may be shared by
// releases of several sites, so it goes only when no release record (of any site)
// names its sha256 any more — e.g. once the site that uploaded it was deleted (its
// release records go in the same transaction as the site). An upload stores its blob
// before it writes the release record (after inspecting and, in cluster mode,
// replicating it): it holds the blob meanwhile (BlobStore `hold`), and a blob written less
// than `graceMs` ago stays whatever the records say — that covers a peer controller's
// copy, which arrives before the peer writes the record.
//
// Every controller runs its own collector over its own blob directory (each holds
// copies), from the store's release records: at start, when release records change
// (debounced), when a kept blob's grace ends, and every intervalMs.

import type { Logger } from '../lib/log.ts';
import { createSweeper, type Sweeper } from '../lib/sweeper.ts';
import { keys, type DatabaseBackup, type Release } from '../model/index.ts';
import type { Store, Watcher } from '../store/types.ts';
import type { BlobEntry, BlobStore } from './blob-store.ts';
import { listRecords } from './records.ts';

export interface BlobGcOptions {
  store: Store;
  blobs: BlobStore;
  log: Logger;
  /** Default 10 minutes. */
  graceMs?: number;
  /** Default 5 minutes. */
  intervalMs?: number;
}

export interface BlobGcPlan {
  /** Unreferenced and older than the grace. */
  remove: BlobEntry[];
  /** Unreferenced but still in their grace: ms until the first of them is due. */
  nextDueMs?: number;
}

export interface BlobGc {
  /** One pass now; the sha256s deleted. */
  runOnce(): Promise<string[]>;
  close(): Promise<void>;
}

export const DEFAULT_BLOB_GRACE_MS = 10 * 60_000;

/** Which blobs go: not named by any release, written at least graceMs before now. */
export function planBlobGc(blobs: BlobEntry[], referenced: ReadonlySet<string>, now: number, graceMs: number): BlobGcPlan {
  const plan: BlobGcPlan = { remove: [] };
  for (const b of blobs) {
    if (referenced.has(b.sha256)) continue;
    const dueIn = b.mtimeMs + graceMs - now;
    if (dueIn <= 0) plan.remove.push(b);
    else plan.nextDueMs = Math.min(plan.nextDueMs ?? Infinity, dueIn);
  }
  return plan;
}

export async function startBlobGc(opts: BlobGcOptions): Promise<BlobGc> {
  const graceMs = opts.graceMs ?? DEFAULT_BLOB_GRACE_MS;
  let removed: string[] = [];

  async function pass(): Promise<number | undefined> {
    // blobs named before the records are read: a blob whose release is written after
    // the read is younger than the grace (uploads write the blob first). Only those no
    // record names are stat'ed (a farm of 10,000 sites keeps 10,000 blobs, nearly all named).
    const names = await opts.blobs.names();
    // an upload lets its blob go once its release record is written: one let go from here on
    // may be named by a record this read does not see, so removeIfOlder keeps it
    const mark = opts.blobs.letGoMark();
    const referenced = new Set((await listRecords<Release>(opts.store, keys.releases)).map((r) => r.sha256));
    // database backups (pg_dump archives) are kept while their record is
    for (const b of await listRecords<DatabaseBackup>(opts.store, keys.databaseBackups)) referenced.add(b.sha256);
    const blobs = await opts.blobs.list(names.filter((n) => !referenced.has(n)));
    const plan = planBlobGc(blobs, referenced, Date.now(), graceMs);
    removed = [];
    for (const b of plan.remove) {
      if (await opts.blobs.removeIfOlder(b.sha256, b.mtimeMs, mark)) {
        removed.push(b.sha256);
        opts.log.info({ event: 'blob.collected', sha256: b.sha256, size: b.size }, 'unreferenced release blob deleted');
      }
    }
    return plan.nextDueMs;
  }

  const sweeper: Sweeper = createSweeper({
    pass,
    intervalMs: opts.intervalMs ?? 5 * 60_000,
    debounceMs: 500,
    onError: (err) => opts.log.warn({ event: 'blob.gc_failed', err }, 'blob garbage collection failed; retried later'),
  });
  let watcher: Watcher | undefined;
  try {
    watcher = await opts.store.watch(keys.releases, (events) => {
      if (events.some((e) => e.type === 'delete')) sweeper.kick();
    });
  } catch (err) {
    await sweeper.close();
    throw err;
  }
  sweeper.kick();

  return {
    async runOnce() {
      await sweeper.runOnce();
      return removed;
    },
    async close() {
      watcher?.close();
      await sweeper.close();
    },
  };
}
