// Text files sent compressed (Brotli, else gzip, as the client accepts), as nginx's gzip and
// Caddy's encode do: each version of a file (path, size, mtime) is compressed once and kept
// in memory, least recently used first out, within CACHE_BYTES, so a busy page costs a
// lookup and not a compression per request. Only compressible types (mime-db's list, via
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
/** Compressed copies kept per runtime (a pool VS's memory limit is 64 MiB + 1 MiB a site). */
export const CACHE_BYTES = 4 * 1024 * 1024;
const COMPRESSING = 2;

const brotli = promisify(brotliCompress);
const gzipped = promisify(gzip);

/** Whether answers for this file vary by Accept-Encoding (so they say `Vary: Accept-Encoding`). */
export function mayCompress(contentType: string, size: number): boolean {
  return size >= MIN_BYTES && size <= MAX_BYTES && compressible(contentType) === true;
}

/** The coding the client prefers among br and gzip; undefined: as it is. */
export function codingFor(req: IncomingMessage): Coding | undefined {
  if (req.headers['accept-encoding'] === undefined) return undefined;
  const negotiator = new Negotiator(req) as unknown as { encoding(available: string[], opts?: { preferred?: string[] }): string | undefined };
  const picked = negotiator.encoding(['br', 'gzip', 'identity'], { preferred: ['br', 'gzip', 'identity'] });
  return picked === 'br' || picked === 'gzip' ? picked : undefined;
}

export class CompressedFiles {
  readonly #kept = new Map<string, Buffer>(); // in use order: the first is the least recent
  #bytes = 0;
  readonly #pending = new Map<string, Promise<Buffer>>();
  #running = 0;
  readonly #waiting: (() => void)[] = [];
  readonly #limit: number;

  constructor(limitBytes = CACHE_BYTES) {
    this.#limit = limitBytes;
  }

  /** The file's content (size bytes, read from fh) compressed with coding; version: what tells its versions apart. */
  async get(fh: FileHandle, version: string, size: number, coding: Coding): Promise<Buffer> {
    const key = `${coding}|${version}`;
    const kept = this.#kept.get(key);
    if (kept !== undefined) {
      this.#kept.delete(key); // to the most recent end
      this.#kept.set(key, kept);
      return kept;
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
    try {
      const raw = Buffer.allocUnsafe(size);
      const { bytesRead } = await fh.read(raw, 0, size, 0);
      if (bytesRead !== size) throw new Error('the file changed while it was read');
      return coding === 'br'
        ? await brotli(raw, { params: { [constants.BROTLI_PARAM_QUALITY]: 6, [constants.BROTLI_PARAM_SIZE_HINT]: size, [constants.BROTLI_PARAM_LGWIN]: windowBits(size) } })
        : await gzipped(raw, { level: 6 });
    } finally {
      this.#running--;
      this.#waiting.shift()?.();
    }
  }

  #keep(key: string, body: Buffer): void {
    if (body.length > this.#limit || this.#kept.has(key)) return;
    this.#kept.set(key, body);
    this.#bytes += body.length;
    for (const [old, b] of this.#kept) {
      if (this.#bytes <= this.#limit) break;
      this.#kept.delete(old);
      this.#bytes -= b.length;
    }
  }
}

/** Brotli's window no larger than the file (its ring buffer is 2^bits bytes): 2^16 – 2^20 for files up to MAX_BYTES. */
function windowBits(size: number): number {
  return Math.min(constants.BROTLI_MAX_WINDOW_BITS, Math.max(16, Math.ceil(Math.log2(size))));
}
