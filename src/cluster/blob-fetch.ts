// Fetching release blobs over HTTP from any controller (GET /v1/blobs/:sha256 with the
// engine token), hashing while streaming, and keeping the file only when its sha256 is
// the one asked for. Written to a temp file and renamed, so a crash leaves no half blob.
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
import { blobCorrupt, blobUnavailable } from './errors.ts';

export interface BlobFetchOptions {
  dir: string;
  token: string;
  /** Controller API URLs, tried in order (the list may change: read on each fetch). */
  controllers: () => string[];
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
        await download(`${url}/v1/blobs/${sha256}`, opts.token, sha256, dest, url);
        return dest;
      } catch (err) {
        problems.push(`${url}: ${(err as Error).message}`);
      }
    }
    throw blobUnavailable(sha256, problems.join('; ') || 'no controllers known');
  };
}

/** The whole download, the body included. */
const DOWNLOAD_TIMEOUT_MS = 60_000;

async function download(url: string, token: string, sha256: string, dest: string, from: string): Promise<void> {
  const signal = AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS);
  // the signal's abort says only "aborted": say it ran out of time
  const timedOut = (err: unknown): unknown => (signal.aborted ? new Error(`not received within ${DOWNLOAD_TIMEOUT_MS / 1000} s`, { cause: err }) : err);
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    const get = url.startsWith('https:') ? httpsGet : httpGet;
    get(url, { headers: { authorization: `Bearer ${token}` }, signal }, resolve).on('error', (err) => reject(timedOut(err)));
  });
  if (res.statusCode !== 200) {
    res.resume();
    throw new Error(`HTTP ${res.statusCode}`);
  }
  const tmp = `${dest}.${process.pid}.${Date.now()}.tmp`;
  const hash = createHash('sha256');
  const hasher = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  try {
    // the signal cuts the body too: a controller that stalls mid-blob fails the pipeline
    await pipeline(res, hasher, createWriteStream(tmp, { mode: 0o600 }), { signal }).catch((err: unknown) => {
      throw timedOut(err);
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
