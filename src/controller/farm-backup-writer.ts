// Streams a snapshot as the backup archive (farm-backup-format.ts): a gzip-compressed tar
// written entry by entry, each hashed as it goes out, the manifest last. Nothing is staged
// on disk; a blob whose bytes no longer match its name stops the backup with an error.

import { createHash } from 'node:crypto';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { Header } from 'tar';
import { BACKUP_FORMAT, BACKUP_VERSION, MANIFEST_PATH, RECORDS_PATH, type BackupManifest, type BackupPart } from './farm-backup-format.ts';
import type { FarmSnapshot, SnapshotBlob } from './farm-backup-snapshot.ts';

const BLOCK = 512;
/**
 * Blobs (release tarballs, dumps) are compressed already and make up nearly all of an
 * archive: deflating them again costs 3–4× the time for nothing, so the gzip framing
 * stores (level 0). The records are the only compressible part, and small.
 */
const GZIP_LEVEL = 0;
const CHUNK = 256 * 1024;

/** Writes the archive of `snapshot` to `out` (ended when done) and returns its manifest. Closes the snapshot. */
export async function writeFarmBackup(snapshot: FarmSnapshot, out: Writable, opts: { signal?: AbortSignal } = {}): Promise<BackupManifest> {
  const manifest: BackupManifest = {
    format: BACKUP_FORMAT, version: BACKUP_VERSION, createdAt: new Date().toISOString(),
    store: { kind: snapshot.storeKind, revision: snapshot.records.revision }, parts: [],
  };
  try {
    await pipeline(entries(snapshot, manifest), createGzip({ level: GZIP_LEVEL }), out, opts.signal ? { signal: opts.signal } : {});
  } finally {
    await snapshot.close();
  }
  return manifest;
}

async function* entries(snapshot: FarmSnapshot, manifest: BackupManifest): AsyncGenerator<Buffer> {
  const mtime = new Date(manifest.createdAt);
  const small = function* (path: string, kind: string, data: Buffer): Generator<Buffer> {
    manifest.parts.push({ path, kind, size: data.length, sha256: createHash('sha256').update(data).digest('hex') });
    yield header(path, data.length, mtime);
    yield data;
    yield padding(data.length);
  };
  yield* small(RECORDS_PATH, 'store', Buffer.from(JSON.stringify(snapshot.records)));
  for (const f of snapshot.files) yield* small(`files/${f.path}`, 'file', f.data);
  for (const p of snapshot.parts) yield* small(p.path, p.kind, p.data);
  for (const blob of snapshot.blobs) {
    yield header(`blobs/${blob.sha256}`, blob.size, mtime);
    const part = yield* blobBytes(blob);
    manifest.parts.push(part);
    yield padding(blob.size);
  }
  const body = Buffer.from(`${JSON.stringify(manifest, null, 1)}\n`);
  yield header(MANIFEST_PATH, body.length, mtime);
  yield body;
  yield padding(body.length);
  yield Buffer.alloc(2 * BLOCK); // end of archive
}

/** The blob's bytes, exactly `size` of them, read from its open handle and hashed on the way. */
async function* blobBytes(blob: SnapshotBlob): AsyncGenerator<Buffer, BackupPart> {
  const hash = createHash('sha256');
  let position = 0;
  while (position < blob.size) {
    const buf = Buffer.allocUnsafe(Math.min(CHUNK, blob.size - position));
    const { bytesRead } = await blob.handle.read(buf, 0, buf.length, position);
    if (bytesRead === 0) throw new Error(`blob ${blob.sha256} shrank while it was backed up`);
    const chunk = buf.subarray(0, bytesRead);
    hash.update(chunk);
    position += bytesRead;
    yield chunk;
  }
  const sha256 = hash.digest('hex');
  if (sha256 !== blob.sha256) throw new Error(`blob ${blob.sha256} is damaged on this controller (its content hashes to ${sha256})`);
  return { path: `blobs/${blob.sha256}`, kind: 'blob', size: blob.size, sha256 };
}

function header(path: string, size: number, mtime: Date): Buffer {
  const h = new Header({ path, size, mode: 0o600, uid: 0, gid: 0, mtime, type: 'File' });
  const block = Buffer.alloc(BLOCK);
  if (h.encode(block, 0)) throw new Error(`backup entry ${path} (${size} bytes) does not fit a plain tar header`);
  return block;
}

function padding(size: number): Buffer {
  return Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);
}
