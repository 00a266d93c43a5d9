// Text files sent compressed (Brotli, else gzip, as the client accepts), as nginx's gzip and
// Caddy's encode do: each version of a file (its content ETag, else path, size, mtime) is compressed once and kept
// in memory within CACHE_BYTES, so a busy page costs a lookup and not a compression per
// request. A full cache makes room only from copies unused for STALE_MS; otherwise a new
// copy is sent and not kept. (Evicting on every miss made each evicted copy old-generation
// garbage, which V8 collects only after tens of MB of it: many files asked in turn got a
// pool VS OOM-killed. A copy not kept dies young and goes at the next scavenge.) Only compressible types (mime-db's list, via
// `compressible`) between MIN_BYTES and MAX_BYTES, and only whole-file answers: a Range is
// served from the file as it is. At most COMPRESSING compressions run at once (zlib runs
// them off the main thread), and a file asked for many times while it is compressed is
// compressed once.

import type { FileHandle } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import compressible from 'compressible';
import Negotiator from 'negotiator';

export type Coding = 'br' | 'gzip';

/** Smaller files gain less than the header costs. */
export const MIN_BYTES = 256;
/** Larger files are sent as they are (no per-request compression). */
export const MAX_BYTES = 1024 * 1024;
/** Compressed copies kept per runtime (a pool VS's memory limit is 128 MiB + 1 MiB a site). */
export const CACHE_BYTES = 4 * 1024 * 1024;
/** A kept copy unused this long may make room for another. */
export const STALE_MS = 60_000;
const COMPRESSING = 2;

const brotli = promisify(brotliCompress);
const gzipped = promisify(gzip);

/** Whether this file is compressed here (its answers then vary by Accept-Encoding: `Vary: Accept-Encoding`). */
export function mayCompress(contentType: string, size: number): boolean {
  return size >= MIN_BYTES && size <= MAX_BYTES && isCompressible(contentType);
}

/** A text type (mime-db's compressible list): a site's own `.br`/`.gz` of it is sent to who takes it, whatever its size (send-file.ts). */
export function isCompressible(contentType: string): boolean {
  return compressible(contentType) === true;
}

/** The coding the client prefers among br and gzip; undefined: as it is. */
export function codingFor(req: IncomingMessage): Coding | undefined {
  if (req.headers['accept-encoding'] === undefined) return undefined;
  const negotiator = new Negotiator(req) as unknown as { encoding(available: string[], opts?: { preferred?: string[] }): string | undefined };
  const picked = negotiator.encoding(['br', 'gzip', 'identity'], { preferred: ['br', 'gzip', 'identity'] });
  return picked === 'br' || picked === 'gzip' ? picked : undefined;
}

interface Kept {
  body: Buffer;
  usedAt: number;
}

export class CompressedFiles {
  readonly #kept = new Map<string, Kept>(); // in use order: the first is the least recent
  #bytes = 0;
  readonly #pending = new Map<string, Promise<Buffer>>();
  #running = 0;
  readonly #waiting: (() => void)[] = [];
  readonly #readBuffers: Buffer[] = [];
  readonly #limit: number;
  readonly #staleMs: number;
  readonly #now: () => number;

  /** now: the clock staleness is read on (tests move their own). */
  constructor(limitBytes = CACHE_BYTES, staleMs = STALE_MS, now: () => number = Date.now) {
    this.#limit = limitBytes;
    this.#staleMs = staleMs;
    this.#now = now;
  }

  /** The file's content (size bytes, read from fh) compressed with coding; version: what tells its versions apart. */
  async get(fh: FileHandle, version: string, size: number, coding: Coding): Promise<Buffer> {
    const key = `${coding}|${version}`;
    const kept = this.#kept.get(key);
    if (kept !== undefined) {
      this.#kept.delete(key); // to the most recent end
      this.#kept.set(key, kept);
      kept.usedAt = this.#now();
      return kept.body;
    }
    let pending = this.#pending.get(key);
    if (pending === undefined) {
      pending = this.#compress(fh, size, coding).finally(() => this.#pending.delete(key));
      this.#pending.set(key, pending);
      void pending.then((body) => this.#keep(key, body), () => {});
    }
    return pending;
  }

  /** Bytes kept (tests). */
  get bytes(): number {
    return this.#bytes;
  }

  async #compress(fh: FileHandle, size: number, coding: Coding): Promise<Buffer> {
    if (this.#running >= COMPRESSING) await new Promise<void>((go) => this.#waiting.push(go));
    this.#running++;
    // the file is read into one of COMPRESSING buffers kept for it: a new one per compression
    // was garbage V8 collects only after tens of MB of it (see send-file.ts)
    const whole = this.#readBuffers.pop() ?? Buffer.allocUnsafeSlow(MAX_BYTES);
    try {
      const raw = whole.subarray(0, size);
      const { bytesRead } = await fh.read(raw, 0, size, 0);
      if (bytesRead !== size) throw new Error('the file changed while it was read');
      return coding === 'br'
        ? await brotli(raw, { params: { [constants.BROTLI_PARAM_QUALITY]: 6, [constants.BROTLI_PARAM_SIZE_HINT]: size, [constants.BROTLI_PARAM_LGWIN]: windowBits(size) } })
        : await gzipped(raw, { level: 6 });
    } finally {
      this.#readBuffers.push(whole);
      this.#running--;
      this.#waiting.shift()?.();
    }
  }

  #keep(key: string, body: Buffer): void {
    if (body.length > this.#limit || this.#kept.has(key)) return;
    const staleBefore = this.#now() - this.#staleMs;
    for (const [old, k] of this.#kept) {
      if (this.#bytes + body.length <= this.#limit || k.usedAt > staleBefore) break;
      this.#kept.delete(old);
      this.#bytes -= k.body.length;
    }
    if (this.#bytes + body.length > this.#limit) return; // sent, not kept
    this.#kept.set(key, { body, usedAt: this.#now() });
    this.#bytes += body.length;
  }
}

/** Brotli's window no larger than the file (its ring buffer is 2^bits bytes): 2^16 – 2^20 for files up to MAX_BYTES. */
function windowBits(size: number): number {
  return Math.min(constants.BROTLI_MAX_WINDOW_BITS, Math.max(16, Math.ceil(Math.log2(size))));
}
