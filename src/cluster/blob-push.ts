// Release blobs on at least two controllers: the controller that receives an upload
// pushes the blob to one live peer (PUT /v1/blobs/:sha256, which re-hashes it) before
// the upload is acknowledged. With no peer registered, one copy is all there can be.
// Pushing (rather than peers pulling) is what lets the upload wait for the second copy.

import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { keys } from '../model/index.ts';
import type { Store } from '../store/index.ts';

export interface BlobPushOptions {
  store: Store;
  /** This controller's id (not a peer of itself). */
  self: string;
  /** An admin token, valid on every controller (tokens live in the shared store). */
  token: string;
}

export function blobPusher(opts: BlobPushOptions): (blob: { sha256: string; size: number; path: string }) => Promise<void> {
  return async (blob) => {
    const { kvs } = await opts.store.range(keys.controllers);
    const peers = kvs.map((kv) => JSON.parse(kv.value) as { id: string; url: string }).filter((c) => c.id !== opts.self);
    if (peers.length === 0) return;
    const problems: string[] = [];
    for (const peer of peers) {
      try {
        const res = await fetch(`${peer.url}/v1/blobs/${blob.sha256}`, {
          method: 'PUT',
          headers: { authorization: `Bearer ${opts.token}`, 'content-type': 'application/gzip', 'content-length': String(blob.size) },
          body: Readable.toWeb(createReadStream(blob.path)),
          duplex: 'half',
          signal: AbortSignal.timeout(60_000),
        } as RequestInit);
        if (res.ok) {
          await res.body?.cancel();
          return;
        }
        // the peer's reason, e.g. a release limit lower than this controller's (--max-release-size)
        const reason = errorMessage(await res.text().catch(() => ''));
        problems.push(`${peer.id}: HTTP ${res.status}${reason ? ` (${reason})` : ''}`);
      } catch (err) {
        problems.push(`${peer.id}: ${(err as Error).message}`);
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
