// What the farm's leader runs, in every mode: `corral up`'s controller is the sole leader
// and starts it at once; a `corral controller` starts it when elected and stops it when
// demoted (controller/leader.ts), its writes fenced by the leader key it holds.
//
// Start order: reconciler (with the autoscaler) → the databases' upkeep (sizes and quotas,
// scheduled backups, rotated logins), when the farm has the database service → the ACME
// issuer, when configured. close() stops them in the reverse order.

import { createEventLog, startAcmeIssuer, startDatabaseUpkeep, startReconciler, type AcmeSettings, type BlobStore, type DatabaseUpkeepOptions } from '../controller/index.ts';
import type { Logger } from '../lib/log.ts';
import type { Store } from '../store/index.ts';

type ReconcilerOptions = Parameters<typeof startReconciler>[0];

export interface LeaderWorkOptions {
  store: Store;
  blobs: BlobStore;
  /** Each piece's logger: part reconciler, database, acme. */
  partLog: (part: string) => Logger;
  /** The reconciler's own settings (drain delay, lost-engine grace, autoscale). */
  reconciler: Omit<ReconcilerOptions, 'store' | 'log' | 'fence' | 'databaseSecrets'>;
  /** The database service and the key its passwords are sealed with; absent: no upkeep. */
  databases?: Pick<DatabaseUpkeepOptions, 'service' | 'secrets'>;
  /** How often the upkeep looks (default its own, 30 s). */
  upkeepMs?: number;
  /** Copies a database backup's blob to a peer controller (cluster mode). */
  replicateBlob?: DatabaseUpkeepOptions['replicateBlob'];
  /** Absent: no certificates are ordered. */
  acme?: AcmeSettings;
  /** Leader fencing (cluster mode): every write carries this compare. */
  fence?: ReconcilerOptions['fence'];
}

export interface LeaderWork {
  reconciler: Awaited<ReturnType<typeof startReconciler>>;
  close(): Promise<void>;
}

export async function startLeaderWork(o: LeaderWorkOptions): Promise<LeaderWork> {
  const fence = o.fence ? { fence: o.fence } : {};
  const reconciler = await startReconciler({ ...o.reconciler, store: o.store, log: o.partLog('reconciler'), ...fence, ...(o.databases ? { databaseSecrets: o.databases.secrets } : {}) });
  const upkeep = o.databases
    ? startDatabaseUpkeep({
      ...o.databases, store: o.store, blobs: o.blobs, events: createEventLog(o.store), log: o.partLog('database'),
      ...(o.replicateBlob ? { replicateBlob: o.replicateBlob } : {}),
      ...(o.upkeepMs !== undefined ? { intervalMs: o.upkeepMs } : {}),
    })
    : undefined;
  // what started, stopped in reverse (after an ACME start failure too)
  const stop = async (acme?: { close(): Promise<void> }) => {
    await acme?.close();
    await upkeep?.close();
    await reconciler.close();
  };
  const acme = o.acme
    ? await startAcmeIssuer({ store: o.store, log: o.partLog('acme'), acme: o.acme, ...fence }).catch(async (err: unknown) => {
      await stop();
      throw err;
    })
    : undefined;
  return {
    reconciler,
    close: () => stop(acme),
  };
}
