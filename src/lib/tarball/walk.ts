// Streams a .tar.gz once: gunzip → size meter → tar Parser → per-entry checks → visitor.
// Nothing here writes to disk; the visitor decides what to do with each checked entry.
import { once } from 'node:events';
import { open, type FileHandle } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';
import { EntryChecker, type CheckedEntry } from './entry-check.ts';
import { TarballError } from './errors.ts';
import { InflateMeter, checkCompressedSize, type TarLimits } from './limits.ts';

export type { CheckedEntry };

export interface TarballSummary {
  /** Regular files. */
  files: number;
  /** Total size of the files' contents. (The size limits measure the whole inflated tar stream,
   *  headers and padding included, which is a little more.) */
  unpackedBytes: number;
  /** Entries of every kind, the root directory entry included. */
  entries: number;
}

/**
 * Called for each entry, in archive order, one at a time. It must consume the entry's data
 * (pipe it or resume it); the parser waits for that before the next entry. When `signal`
 * aborts, the walk has failed and the visitor should stop.
 */
export type EntryVisitor = (entry: ReadEntry, checked: CheckedEntry, signal: AbortSignal) => Promise<void>;

const GZIP_MAGIC = [0x1f, 0x8b];

/** Streams `file` through every check, calling `visit` for each entry. Throws TarballError. */
export async function walkTarball(file: string, limits: Readonly<TarLimits>, visit: EntryVisitor): Promise<TarballSummary> {
  const fh = await open(file, 'r');
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw corrupt('not a regular file');
    const { size } = st;
    checkCompressedSize(size, limits);
    await checkGzipMagic(fh, size);
    return await walkOpen(fh, size, limits, visit);
  } finally {
    await fh.close();
  }
}

async function walkOpen(fh: FileHandle, compressedBytes: number, limits: Readonly<TarLimits>, visit: EntryVisitor): Promise<TarballSummary> {
  const ac = new AbortController();
  let failure: TarballError | Error | undefined;
  const fail = (err: unknown): void => {
    if (failure !== undefined) return;
    failure = err instanceof Error ? err : new Error(String(err));
    ac.abort(failure);
  };
  const checker = new EntryChecker(limits);
  const visiting = new Set<Promise<void>>();
  let sawEof = false;
  // A tar of only zero blocks (end-of-archive markers, or nothing at all) holds nothing:
  // the Parser calls that an unrecognised format, but it is an empty archive.
  const zeros = new ZeroRun();

  // Strict: every parser warning (bad checksum, truncation, unknown format) is an error.
  // Compression sniffing is off (we inflate ourselves, and refuse a nested gzip below).
  const parser = new Parser({ strict: true, brotli: false, zstd: false, maxMetaEntrySize: 64 * 1024 });
  parser.on('entry', (entry: ReadEntry) => {
    entry.on('error', fail);
    if (failure !== undefined) return;
    try {
      const done = visit(entry, checker.check(entry), ac.signal).catch(fail);
      visiting.add(done);
      void done.finally(() => visiting.delete(done));
    } catch (err) {
      fail(err);
    }
  });
  parser.on('ignoredEntry', (entry: ReadEntry) => fail(checker.ignored(entry)));
  parser.on('eof', () => { sawEof = true; });
  parser.on('error', (err: Error) => fail(zeros.onlyBlocks() ? empty() : corrupt(`not a valid tar archive: ${err.message}`, err)));
  const ended = once(parser, 'end', { signal: ac.signal });
  ended.catch(() => undefined);

  const meter = new InflateMeter(limits, compressedBytes);
  // Reads exactly the bytes measured above; the handle stays ours to close (destroy() releases it).
  const source = fh.createReadStream({ start: 0, end: compressedBytes - 1, autoClose: false });
  try {
    await pipeline(
      source,
      createGunzip(),
      async (inflated: AsyncIterable<Buffer>) => {
        try {
          await feed(inflated);
        } catch (err) {
          fail(classify(err)); // first: pipeline may report the teardown's AbortError instead
          throw err;
        }
      },
      { signal: ac.signal },
    );
  } catch (err) {
    fail(classify(err));
  } finally {
    source.destroy();
  }
  await Promise.all(visiting);
  if (failure !== undefined) throw failure;
  if (!sawEof) throw corrupt('the archive is truncated (no end-of-archive marker)');
  return { files: checker.files, unpackedBytes: checker.fileBytes, entries: checker.entries };

  async function feed(inflated: AsyncIterable<Buffer>): Promise<void> {
    let head: Buffer | undefined = Buffer.alloc(0);
    for await (let chunk of inflated) {
      meter.add(chunk.length);
      zeros.add(chunk);
      if (failure !== undefined) throw failure;
      if (head !== undefined) {
        // The Parser would inflate a gzip stream inside ours, unmetered: refuse that.
        head = Buffer.concat([head, chunk]);
        if (head.length < GZIP_MAGIC.length) continue;
        if (head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1]) throw corrupt('the tar stream is itself compressed (gzip inside gzip)');
        chunk = head;
        head = undefined;
      }
      // After the end-of-archive marker the Parser would only buffer: keep inflating (to meter
      // the rest and check the gzip trailer) but stop feeding it.
      if (sawEof) continue;
      if (!parser.write(chunk)) await once(parser, 'drain', { signal: ac.signal });
      if (failure !== undefined) throw failure;
    }
    if (head !== undefined && head.length > 0) parser.write(head);
    parser.end();
    await ended;
  }
}

async function checkGzipMagic(fh: FileHandle, size: number): Promise<void> {
  const { buffer, bytesRead } = await fh.read({ buffer: Buffer.alloc(2), position: 0 });
  if (size < 2 || bytesRead < 2 || buffer[0] !== GZIP_MAGIC[0] || buffer[1] !== GZIP_MAGIC[1]) {
    throw corrupt('not a gzip file (a release must be a .tar.gz)');
  }
}

/** Our own errors pass through; zlib and parser failures mean a damaged archive; the rest (I/O) is rethrown. */
function classify(err: unknown): unknown {
  if (err instanceof TarballError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code.startsWith('Z_')) return corrupt(`the gzip stream is damaged or truncated: ${(err as Error).message}`, err);
  return err;
}

/** Whether the inflated stream so far is whole 512-byte blocks of zeros (or nothing). */
class ZeroRun {
  private static readonly ZERO = Buffer.alloc(64 * 1024);
  private bytes = 0;
  private allZero = true;

  add(chunk: Buffer): void {
    this.bytes += chunk.length;
    for (let at = 0; this.allZero && at < chunk.length; at += ZeroRun.ZERO.length) {
      const part = chunk.subarray(at, at + ZeroRun.ZERO.length);
      this.allZero = part.equals(ZeroRun.ZERO.subarray(0, part.length));
    }
  }

  onlyBlocks(): boolean {
    return this.allZero && this.bytes % 512 === 0;
  }
}

function empty(): TarballError {
  return new TarballError('tarball_empty', 'the archive holds no entries (only zero blocks): pack the release\'s files');
}

function corrupt(message: string, cause?: unknown): TarballError {
  return new TarballError('tarball_corrupt', message, { cause });
}
