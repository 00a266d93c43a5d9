// A release tarball made in memory: one ustar entry, gzipped. The density bench gives every
// static site a page of its own this way (a few hundred bytes each), so "answers 200 with its
// own content" can be checked through the router without packing N folders on disk.
import { gzipSync } from 'node:zlib';

const BLOCK = 512;

/** A .tar.gz holding one regular file `name` (mode 0644) with `content`. */
export function singleFileTarball(name: string, content: string): Buffer {
  const body = Buffer.from(content, 'utf8');
  const padded = Math.ceil(body.length / BLOCK) * BLOCK;
  const tar = Buffer.alloc(BLOCK + padded + 2 * BLOCK); // header, data, two zero blocks
  ustarHeader(name, body.length).copy(tar, 0);
  body.copy(tar, BLOCK);
  return gzipSync(tar);
}

/** The page a static site of the bench serves: its marker is what the check looks for. */
export function sitePage(site: string): string {
  return `<!doctype html><title>${site}</title><p>density bench site ${marker(site)}</p>\n`;
}

export function marker(site: string): string {
  return `[${site}]`;
}

function ustarHeader(name: string, size: number): Buffer {
  const h = Buffer.alloc(BLOCK);
  h.write(name, 0, 100, 'utf8');
  h.write(octal(0o644, 8), 100);
  h.write(octal(0, 8), 108); // uid
  h.write(octal(0, 8), 116); // gid
  h.write(octal(size, 12), 124);
  h.write(octal(0, 12), 136); // mtime
  h.write('        ', 148); // checksum field counts as spaces while summing
  h.write('0', 156); // regular file
  h.write('ustar\u000000', 257);
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148);
  return h;
}

/** A NUL-terminated, zero-padded octal field of `width` bytes. */
function octal(n: number, width: number): string {
  return `${n.toString(8).padStart(width - 1, '0')}\u0000`;
}
