// A blob this controller lacks, copied from a peer controller (GET /v1/blobs/:sha256 with the
// admin token) into its blob store, kept only when it hashes to its name. A farm backup
// through any controller needs every blob the records name; uploads leave copies on two.
// No bound on the whole copy: stalls and slowness are (src/lib/transfer-guard.ts).

import { Readable } from 'node:stream';
import type { ReadableStream } from 'node:stream/web';
import type { BlobStore } from '../controller/index.ts';
import { guardTransfer, type TransferLimits } from '../lib/transfer-guard.ts';
import { keys } from '../model/index.ts';
import type { Store } from '../store/index.ts';

export interface BlobPullOptions {
  store: Store;
  blobs: BlobStore;
  self: string;
  token: string;
  /** Largest blob taken (default 16 GiB). */
  maxBytes?: number;
  /** Bounds on a copy's stalls and slowness (default TRANSFER_LIMITS). */
  limits?: Partial<TransferLimits>;
  /** Told why a peer's copy failed (the next peer is tried). */
  onFailure?: (peer: string, err: unknown) => void;
}

export function blobPuller(opts: BlobPullOptions): (sha256: string) => Promise<boolean> {
  return async (sha256) => {
    const { kvs } = await opts.store.range(keys.controllers);
    const peers = kvs.map((kv) => JSON.parse(kv.value) as { id: string; url: string }).filter((c) => c.id !== opts.self);
    for (const peer of peers) {
      const guard = guardTransfer(opts.limits);
      try {
        const res = await fetch(`${peer.url}/v1/blobs/${sha256}`, { headers: { authorization: `Bearer ${opts.token}` }, signal: guard.signal });
        guard.moved(0);
        if (!res.ok || !res.body) {
          await res.body?.cancel();
          continue;
        }
        const body = Readable.from(guard.through(res.body as ReadableStream<Uint8Array>));
        const blob = await opts.blobs.putStream(body, { maxBytes: opts.maxBytes ?? 16 * 1024 ** 3, signal: guard.signal });
        if (blob.sha256 === sha256) return true;
        await opts.blobs.remove(blob.sha256);
      } catch (err) {
        opts.onFailure?.(peer.id, guard.explain(err)); // then the next peer
      } finally {
        guard.done();
      }
    }
    return false;
  };
}
