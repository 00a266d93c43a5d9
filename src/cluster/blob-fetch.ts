// Fetching release blobs over HTTP from any controller (GET /v1/blobs/:sha256 with the
// engine token), hashing while streaming, and keeping the file only when its sha256 is
// the one asked for. Written to a temp file and renamed, so a crash leaves no half blob.
// No bound on the whole download (a release may be gigabytes on a slow link): stalls and
// slowness are (src/lib/transfer-guard.ts: no answer within 10 s, no byte for 30 s, under
// 64 KiB/s over 30 s), and the error names the rule; the engine retries with backoff.
// Over node:http(s), not the global fetch, whose first call loads Node's undici and
// llhttp's WebAssembly, ≈ 16 MB that an engine agent would keep (src/lib/post-json.ts).

import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { get as httpGet, type IncomingMessage } from 'node:http';
import { get as httpsGet } from 'node:https';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { guardTransfer, type TransferGuard, type TransferLimits } from '../lib/transfer-guard.ts';
import { blobCorrupt, blobUnavailable } from './errors.ts';

export interface BlobFetchOptions {
  dir: string;
  token: string;
  /** Controller API URLs, tried in order (the list may change: read on each fetch). */
  controllers: () => string[];
  /** Bounds on a download's stalls and slowness (default TRANSFER_LIMITS). */
  limits?: Partial<TransferLimits>;
}

export function httpBlobFetcher(opts: BlobFetchOptions): (sha256: string) => Promise<string> {
  return async (sha256) => {
    if (!/^[a-f0-9]{64}$/.test(sha256)) throw blobUnavailable(sha256, 'not a sha256');
    await mkdir(opts.dir, { recursive: true });
    const dest = join(opts.dir, `${sha256}.tar.gz`);
    if (await exists(dest)) return dest;
    const problems: string[] = [];
    for (const url of opts.controllers()) {
      try {
        const guard = guardTransfer(opts.limits);
        try {
          await download(`${url}/v1/blobs/${sha256}`, opts.token, sha256, dest, url, guard);
        } finally {
          guard.done();
        }
        return dest;
      } catch (err) {
        problems.push(`${url}: ${(err as Error).message}`);
      }
    }
    throw blobUnavailable(sha256, problems.join('; ') || 'no controllers known');
  };
}

async function download(url: string, token: string, sha256: string, dest: string, from: string, guard: TransferGuard): Promise<void> {
  const { signal } = guard;
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    const get = url.startsWith('https:') ? httpsGet : httpGet;
    get(url, { headers: { authorization: `Bearer ${token}` }, signal }, resolve).on('error', (err) => reject(guard.explain(err)));
  });
  guard.moved(0);
  if (res.statusCode !== 200) {
    res.resume();
    throw new Error(`HTTP ${res.statusCode}`);
  }
  const tmp = `${dest}.${process.pid}.${Date.now()}.tmp`;
  const hash = createHash('sha256');
  const hasher = new Transform({
    transform(chunk: Buffer, _enc, done) {
      guard.moved(chunk.length);
      hash.update(chunk);
      done(null, chunk);
    },
  });
  try {
    // the signal cuts the body too: a controller that stalls mid-blob fails the pipeline
    await pipeline(res, hasher, createWriteStream(tmp, { mode: 0o600 }), { signal }).catch((err: unknown) => {
      throw guard.explain(err);
    });
    const got = hash.digest('hex');
    if (got !== sha256) throw blobCorrupt(sha256, got, from);
    await rename(tmp, dest);
  } finally {
    await rm(tmp, { force: true });
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
