// The controller's API as every mode starts it: `corral up`'s (the sole controller, on
// SQLite) and `corral controller`'s (one of several, on etcd). The caller has opened the
// store and pushed its close; this part pushes its own steps onto the same shutdown stack.
//
// Start order: admin token → blob store and its collector → (the mode's own pieces the API
// needs: the database service) → the API, built with the mode's options → listening.
// Stop order is the reverse: the API stops answering, then the collector stops.

import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { buildController, ensureAdminToken, openBlobStore, startBlobGc, type BlobStore, type ControllerOptions } from '../controller/index.ts';
import type { Logger } from '../lib/log.ts';
import type { ShutdownStack } from '../lib/shutdown-stack.ts';
import { urlHost } from '../lib/url-host.ts';
import type { Store } from '../store/index.ts';

/**
 * The controller folder's files a farm backup carries, in every mode: the development
 * certificate, so HTTPS answers with the same one, and the key the database passwords are
 * sealed with.
 */
export const BACKUP_FILES: readonly string[] = ['tls/dev.crt', 'tls/dev.key', 'database-key'];

export interface ControllerPartOptions {
  /** The controller's folder: admin-token, blobs/. */
  dir: string;
  /** Where the admin token comes from: a copy given to a further controller (`from`); one machine: a lost file replaced (`replaceLost`). */
  adminToken?: Parameters<typeof ensureAdminToken>[2];
  /** How long an unreferenced release blob is kept after it was written (default the collector's, 10 minutes). */
  blobGraceMs?: number;
  /** The blob collector's logger. */
  blobGcLog: Logger;
}

export interface ControllerApi {
  /** `url` when given (advertised), else where it listens. */
  apiUrl: string;
}

export interface ControllerPart {
  admin: { token: string; created: boolean };
  blobs: BlobStore;
  /** Build the API with the mode's options, push its step, and listen. */
  startApi(options: Omit<ControllerOptions, 'store' | 'blobs'>, listen: { port: number; host: string; url?: string }): Promise<ControllerApi>;
}

export async function openControllerPart(stack: ShutdownStack, store: Store, o: ControllerPartOptions): Promise<ControllerPart> {
  const admin = await ensureAdminToken(store, o.dir, o.adminToken ?? {});
  const blobs = await openBlobStore(join(o.dir, 'blobs'));
  // every controller collects its own copies of blobs no release names any more
  const blobGc = await startBlobGc({ store, blobs, log: o.blobGcLog, ...(o.blobGraceMs !== undefined ? { graceMs: o.blobGraceMs } : {}) });
  stack.push('blob gc', () => blobGc.close());
  return {
    admin, blobs,
    async startApi(options, listen) {
      const api = await buildController({ ...options, store, blobs });
      stack.push('controller api', () => api.close());
      await api.listen({ port: listen.port, host: listen.host });
      return { apiUrl: listen.url ?? `http://${urlHost(listen.host)}:${(api.server.address() as AddressInfo).port}` };
    },
  };
}
