// A blob this controller lacks, copied from a peer controller (GET /v1/blobs/:sha256 with the
// admin token) into its blob store, kept only when it hashes to its name. A farm backup
// through any controller needs every blob the records name; uploads leave copies on two.

import { Readable } from 'node:stream';
import type { ReadableStream } from 'node:stream/web';
import type { BlobStore } from '../controller/index.ts';
import { keys } from '../model/index.ts';
import type { Store } from '../store/index.ts';

export interface BlobPullOptions {
  store: Store;
  blobs: BlobStore;
  self: string;
  token: string;
  /** Largest blob taken (default 16 GiB). */
  maxBytes?: number;
}

export function blobPuller(opts: BlobPullOptions): (sha256: string) => Promise<boolean> {
  return async (sha256) => {
    const { kvs } = await opts.store.range(keys.controllers);
    const peers = kvs.map((kv) => JSON.parse(kv.value) as { id: string; url: string }).filter((c) => c.id !== opts.self);
    for (const peer of peers) {
      try {
        const res = await fetch(`${peer.url}/v1/blobs/${sha256}`, { headers: { authorization: `Bearer ${opts.token}` }, signal: AbortSignal.timeout(10 * 60_000) });
        if (!res.ok || !res.body) {
          await res.body?.cancel();
          continue;
        }
        const blob = await opts.blobs.putStream(Readable.fromWeb(res.body as ReadableStream), { maxBytes: opts.maxBytes ?? 16 * 1024 ** 3 });
        if (blob.sha256 === sha256) return true;
        await opts.blobs.remove(blob.sha256);
      } catch {
        // the next peer
      }
    }
    return false;
  };
}
