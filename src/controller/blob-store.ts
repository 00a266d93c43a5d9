// A content-addressed blob store on disk: <dir>/sha256/<hex>, written temp → fsync → rename.
// Release tarballs live here; the hex digest is the only name a caller can give, so no path tricks.
import { createHash, randomUUID } from 'node:crypto';
import { chmod, mkdir, open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { NotFoundError, PayloadTooLargeError, ValidationError } from './errors.ts';

export interface StoredBlob {
  sha256: string;
  size: number;
  /** Where the blob lives; read it, never write it. */
  path: string;
  /** With `hold`: lets the garbage collector have it again (once the release record names it). Safe twice. */
  unhold(): void;
}

export interface PutOptions {
  /** Larger bodies are refused with 413 (payload_too_large) as soon as they cross it. */
  maxBytes: number;
  signal?: AbortSignal;
  /** Keep the garbage collector off the blob until unhold() (an upload, until its release record is written). */
  hold?: boolean;
}

export interface BlobStore {
  readonly dir: string;
  /**
   * Streams `stream` to a temp file while hashing it, fsyncs, and renames it to its digest.
   * On any failure (too large, source error, abort) the temp file is removed and the source
   * destroyed. Storing content that is already there is harmless.
   */
  putStream(stream: Readable, opts: PutOptions): Promise<StoredBlob>;
  /** The blob's path (whether or not it exists). Throws 400 for anything but 64 lower-case hex digits. */
  path(sha256: string): string;
  has(sha256: string): Promise<boolean>;
  /** A stream of the blob's bytes; 404 (not_found) when there is no such blob. */
  openRead(sha256: string): Promise<Readable>;
  /** Re-hashes the blob: true when its content still matches its name; 404 when missing. */
  verify(sha256: string): Promise<boolean>;
  /** Every stored blob's sha256 (a directory read, no blob opened or stat'ed). */
  names(): Promise<string[]>;
  /**
   * Stored blobs with the time each was last written (an upload of the same content rewrites
   * it): those of `only` still there, or every one.
   */
  list(only?: readonly string[]): Promise<BlobEntry[]>;
  /**
   * Deletes the blob if it was last written at or before `writtenBefore` (ms) and no
   * upload holds it, else keeps it: a blob written again since it was listed (an upload
   * of the same content) stays. With `mark` (letGoMark() taken before the caller read the
   * records that name no such blob), a blob an upload let go of after the mark stays too:
   * its release record was written after that read began, so the caller may not have seen it.
   * Moved aside first, so an upload renaming the same name in meanwhile is never lost.
   * Returns whether it was deleted.
   */
  removeIfOlder(sha256: string, writtenBefore: number, mark?: number): Promise<boolean>;
  /** A mark of the uploads that let go of their blobs so far (removeIfOlder's `mark`). */
  letGoMark(): number;
  /** Deletes the blob now, held or not (an upload discarding the blob it just stored); no error if absent. */
  remove(sha256: string): Promise<void>;
  /**
   * Until the returned function is called, removeIfOlder keeps every blob (a farm backup
   * reading the records, then opening the blobs they name). Safe to call twice.
   */
  pauseRemovals(): () => void;
}

export interface BlobEntry {
  sha256: string;
  size: number;
  mtimeMs: number;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;
const STALE_TEMP_MS = 60 * 60 * 1000;
const NOT_HELD = (): void => undefined;
const LET_GO_KEEP_MS = 10 * 60_000;

/** Opens (creating if needed) the blob store in `dir`, and clears temp files left by a crash. */
export async function openBlobStore(dir: string): Promise<BlobStore> {
  const blobDir = join(dir, 'sha256');
  const tmpDir = join(dir, 'tmp');
  await mkdir(blobDir, { recursive: true });
  await mkdir(tmpDir, { recursive: true });
  // Blobs are read-only to everyone (0444: pg_restore, as the database server's user, reads a
  // backup in place), but no other user of the host may list them: the store and its
  // sha256 folder are 0711 (a blob is reached only by its name), the temp folder 0700.
  await chmod(dir, 0o711);
  await chmod(blobDir, 0o711);
  await chmod(tmpDir, 0o700);
  await sweepStaleTemps(tmpDir);

  const path = (sha256: string): string => join(blobDir, checkDigest(sha256));
  const held = new Map<string, number>();
  /** Each blob last let go of by its uploads: at which count of let-gos, and when (forgotten after LET_GO_KEEP_MS: a collector's pass takes seconds). */
  const letGo = new Map<string, { seq: number; at: number }>();
  let letGoSeq = 0;
  let paused = 0;
  const hold = (sha256: string): (() => void) => {
    held.set(sha256, (held.get(sha256) ?? 0) + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const n = (held.get(sha256) ?? 1) - 1;
      if (n > 0) return void held.set(sha256, n);
      held.delete(sha256);
      const now = Date.now();
      // oldest first (a let-go moves to the end): stop at the first one still kept
      for (const [name, e] of letGo) {
        if (e.at >= now - LET_GO_KEEP_MS) break;
        letGo.delete(name);
      }
      letGo.delete(sha256);
      letGo.set(sha256, { seq: ++letGoSeq, at: now });
    };
  };

  const names = async (): Promise<string[]> => (await readdir(blobDir)).filter((name) => SHA256_HEX.test(name));
  return {
    dir,
    path,

    async putStream(stream, { maxBytes, signal, hold: holding }) {
      if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) throw new TypeError(`maxBytes must be a non-negative integer, got ${maxBytes}`);
      // Until pipeline() listens, an error on the source must not crash the process;
      // pipeline still sees it (the stream is left errored) and rejects with it.
      const ignore = (): void => undefined;
      stream.on('error', ignore);
      const tmp = join(tmpDir, `${randomUUID()}.partial`);
      let fh: FileHandle;
      try {
        fh = await open(tmp, 'wx', 0o600);
      } catch (err) {
        stream.off('error', ignore);
        stream.destroy();
        throw err;
      }
      let closed = false;
      try {
        const hash = createHash('sha256');
        let size = 0;
        await pipeline(stream, async (source: AsyncIterable<Buffer | string>) => {
          for await (const chunk of source) {
            const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
            size += buf.length;
            if (size > maxBytes) throw new PayloadTooLargeError(maxBytes);
            hash.update(buf);
            await writeAll(fh, buf);
          }
        }, { signal });
        await fh.chmod(0o444);
        await fh.sync();
        closed = true;
        await fh.close();
        const sha256 = hash.digest('hex');
        const final = path(sha256);
        const unhold = holding ? hold(sha256) : NOT_HELD; // held before it appears under its name
        try {
          await rename(tmp, final);
          await syncDir(blobDir);
        } catch (err) {
          unhold();
          throw err;
        }
        return { sha256, size, path: final, unhold };
      } catch (err) {
        if (!closed) await fh.close().catch(() => undefined);
        await rm(tmp, { force: true });
        throw err;
      } finally {
        stream.off('error', ignore);
      }
    },

    async has(sha256) {
      try {
        return (await stat(path(sha256))).isFile();
      } catch (err) {
        if (isNotFound(err)) return false;
        throw err;
      }
    },

    async openRead(sha256) {
      const fh = await openExisting(path(sha256), sha256);
      return fh.createReadStream(); // closes the handle when done or destroyed
    },

    async verify(sha256) {
      const fh = await openExisting(path(sha256), sha256);
      const hash = createHash('sha256');
      await pipeline(fh.createReadStream(), hash);
      return hash.digest('hex') === sha256;
    },

    names,

    async list(only) {
      const out: BlobEntry[] = [];
      for (const name of only ?? (await names())) {
        if (!SHA256_HEX.test(name)) continue;
        const st = await stat(join(blobDir, name)).catch(() => undefined);
        if (st?.isFile()) out.push({ sha256: name, size: st.size, mtimeMs: st.mtimeMs });
      }
      return out;
    },

    letGoMark: () => letGoSeq,

    async removeIfOlder(sha256, writtenBefore, mark) {
      if (paused > 0 || held.has(checkDigest(sha256))) return false;
      if (mark !== undefined && (letGo.get(sha256)?.seq ?? 0) > mark) return false;
      const aside = join(tmpDir, `${checkDigest(sha256)}.${randomUUID()}.gc`);
      try {
        await rename(path(sha256), aside);
      } catch (err) {
        if (isNotFound(err)) return false;
        throw err;
      }
      const st = await stat(aside);
      if (st.mtimeMs > writtenBefore) {
        // written again since listed: put it back unless an even newer copy took the name meanwhile
        if (await stat(path(sha256)).then(() => true, () => false)) await rm(aside, { force: true });
        else await rename(aside, path(sha256));
        return false;
      }
      await rm(aside, { force: true });
      return true;
    },

    async remove(sha256) {
      await rm(path(sha256), { force: true });
    },

    pauseRemovals() {
      paused++;
      let resumed = false;
      return () => {
        if (resumed) return;
        resumed = true;
        paused--;
      };
    },
  };
}

function checkDigest(sha256: string): string {
  if (typeof sha256 !== 'string' || !SHA256_HEX.test(sha256)) {
    throw new ValidationError(`blob id must be a sha256 digest: 64 lower-case hex digits, got ${JSON.stringify(String(sha256).slice(0, 80))}`);
  }
  return sha256;
}

async function openExisting(file: string, sha256: string): Promise<FileHandle> {
  try {
    return await open(file, 'r');
  } catch (err) {
    if (isNotFound(err)) throw new NotFoundError(`blob ${sha256}`);
    throw err;
  }
}

async function writeAll(fh: FileHandle, buf: Buffer): Promise<void> {
  let off = 0;
  while (off < buf.length) {
    const { bytesWritten } = await fh.write(buf, off, buf.length - off);
    off += bytesWritten;
  }
}

/** Makes a rename durable. Some platforms cannot fsync a directory; there it is skipped. */
async function syncDir(dir: string): Promise<void> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code !== 'EISDIR' && code !== 'EINVAL' && code !== 'EPERM' && code !== 'EBADF') throw err;
  } finally {
    await fh?.close();
  }
}

/** Removes temp files older than an hour: left by a crash, never by a live upload. */
async function sweepStaleTemps(tmpDir: string): Promise<void> {
  const cutoff = Date.now() - STALE_TEMP_MS;
  for (const name of await readdir(tmpDir)) {
    const file = join(tmpDir, name);
    const st = await stat(file).catch(() => undefined);
    if (st !== undefined && st.mtimeMs < cutoff) await rm(file, { force: true, recursive: true });
  }
}

function isNotFound(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
