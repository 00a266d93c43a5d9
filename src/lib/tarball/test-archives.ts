// Test helpers: tar archives written header by header, so tests can build any hostile entry
// (traversal, absolute paths, links, devices, FIFOs) that a well-behaved packer would refuse.
import { createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { createGzip, gzipSync } from 'node:zlib';

export interface RawEntry {
  path: string;
  /** Typeflag: '0' file (default), '1' hardlink, '2' symlink, '3' char device, '4' block device, '5' directory, '6' FIFO, … */
  type?: string;
  body?: string | Buffer;
  linkpath?: string;
  mode?: number;
  /** Extended (pax) header records placed before this entry, e.g. { path: '…' }. */
  pax?: Record<string, string>;
}

/** An uncompressed tar stream of `entries`, with the end-of-archive marker unless `eof` is false. */
export function rawTar(entries: readonly RawEntry[], { eof = true } = {}): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    if (e.pax) {
      const records = Buffer.from(Object.entries(e.pax).map(([k, v]) => paxRecord(k, v)).join(''));
      blocks.push(header({ path: 'PaxHeader', type: 'x' }, records.length), pad(records));
    }
    const body = e.body === undefined ? Buffer.alloc(0) : Buffer.from(e.body);
    blocks.push(header(e, body.length), pad(body));
  }
  if (eof) blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

/** rawTar, gzipped. */
export function rawTarGz(entries: readonly RawEntry[], opts?: { eof?: boolean }): Buffer {
  return gzipSync(rawTar(entries, opts));
}

/** Writes a gzip bomb to `file`: one file entry of `bytes` zeros, streamed (never in memory). */
export async function writeZeroBomb(file: string, bytes: number): Promise<void> {
  const zeros = Buffer.alloc(1024 * 1024);
  async function* tar(): AsyncGenerator<Buffer> {
    yield header({ path: 'zeros.bin' }, bytes);
    for (let left = bytes; left > 0; left -= zeros.length) yield left >= zeros.length ? zeros : zeros.subarray(0, left);
    yield Buffer.alloc((512 - (bytes % 512)) % 512 + 1024);
  }
  await pipeline(tar, createGzip({ level: 9 }), createWriteStream(file));
}

export async function writeTarGz(file: string, entries: readonly RawEntry[], opts?: { eof?: boolean }): Promise<void> {
  await writeFile(file, rawTarGz(entries, opts));
}

function header(e: RawEntry, size: number): Buffer {
  const h = Buffer.alloc(512);
  h.write(e.path, 0, 100, 'utf8');
  h.write(octal(e.mode ?? (e.type === '5' ? 0o755 : 0o644), 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii');
  h.write(octal(0, 8), 116, 'ascii');
  h.write(octal(size, 12), 124, 'ascii');
  h.write(octal(0, 12), 136, 'ascii');
  h.write(e.type ?? '0', 156, 1, 'ascii');
  if (e.linkpath !== undefined) h.write(e.linkpath, 157, 100, 'utf8');
  h.write('ustar\u000000', 257, 8, 'ascii');
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii');
  return h;
}

function octal(n: number, width: number): string {
  return `${n.toString(8).padStart(width - 1, '0')}\0`;
}

function pad(buf: Buffer): Buffer {
  const rest = buf.length % 512;
  return rest === 0 ? buf : Buffer.concat([buf, Buffer.alloc(512 - rest)]);
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body) + 1;
  while (String(len).length + Buffer.byteLength(body) !== len) len += 1;
  return `${len}${body}`;
}
