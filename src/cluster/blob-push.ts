// Release blobs on at least two controllers: the controller that receives an upload
// pushes the blob to one live peer (PUT /v1/blobs/:sha256, which re-hashes it) before
// the upload is acknowledged. With no peer registered, one copy is all there can be.
// Pushing (rather than peers pulling) is what lets the upload wait for the second copy.
// No bound on the whole copy (a release may be gigabytes): stalls and slowness are
// (src/lib/transfer-guard.ts: the peer takes no byte for 30 s, or less than 64 KiB/s over
// 30 s; its answer within 30 s of the last byte), and the error names the rule.

import { createReadStream } from 'node:fs';
import { guardTransfer, type TransferLimits } from '../lib/transfer-guard.ts';
import { keys } from '../model/index.ts';
import type { Store } from '../store/index.ts';

export interface BlobPushOptions {
  store: Store;
  /** This controller's id (not a peer of itself). */
  self: string;
  /** An admin token, valid on every controller (tokens live in the shared store). */
  token: string;
  /** Bounds on a copy's stalls and slowness (default TRANSFER_LIMITS). */
  limits?: Partial<TransferLimits>;
}

export function blobPusher(opts: BlobPushOptions): (blob: { sha256: string; size: number; path: string }) => Promise<void> {
  return async (blob) => {
    const { kvs } = await opts.store.range(keys.controllers);
    const peers = kvs.map((kv) => JSON.parse(kv.value) as { id: string; url: string }).filter((c) => c.id !== opts.self);
    if (peers.length === 0) return;
    const problems: string[] = [];
    for (const peer of peers) {
      const guard = guardTransfer(opts.limits);
      try {
        const res = await fetch(`${peer.url}/v1/blobs/${blob.sha256}`, {
          method: 'PUT',
          headers: { authorization: `Bearer ${opts.token}`, 'content-type': 'application/gzip', 'content-length': String(blob.size) },
          // counted as the request takes it: a peer that stops reading stops the count
          body: guard.through(createReadStream(blob.path)),
          duplex: 'half',
          signal: guard.signal,
        } as RequestInit);
        if (res.ok) {
          await res.body?.cancel();
          return;
        }
        // the peer's reason, e.g. a release limit lower than this controller's (--max-release-size)
        const reason = errorMessage(await res.text().catch(() => ''));
        problems.push(`${peer.id}: HTTP ${res.status}${reason ? ` (${reason})` : ''}`);
      } catch (err) {
        problems.push(`${peer.id}: ${(guard.explain(err) as Error).message}`);
      } finally {
        guard.done();
      }
    }
    throw new Error(`no peer took the copy: ${problems.join('; ')}`);
  };
}

/** The message of an API error body, if it is one. */
function errorMessage(text: string): string | undefined {
  try {
    const message = (JSON.parse(text) as { error?: { message?: unknown } }).error?.message;
    return typeof message === 'string' ? message : undefined;
  } catch {
    return undefined;
  }
}
