// A folder picked in the browser (<input type=file webkitdirectory>) packed into a
// .tar.gz, the same shape as `tar -czf site.tar.gz -C folder .`: a minimal ustar writer
// (regular files only; the extractor makes the directories) gzipped by the browser's
// CompressionStream. The server's tarball checks stay the boundary: this only packs.

const BLOCK = 512;
const encoder = new TextEncoder();

export interface PackedFolder {
  tarball: Blob;
  /** The folder's name (the common first part of every file's relative path). */
  folder: string;
  files: number;
  /** Bytes of file content before packing. */
  bytes: number;
}

/** Packs the files of a picked folder; their paths are made relative to the folder itself. */
export async function packFolder(picked: readonly File[]): Promise<PackedFolder> {
  if (picked.length === 0) throw new Error('the folder is empty');
  const folder = (picked[0]!.webkitRelativePath || picked[0]!.name).split('/')[0] ?? '';
  const parts: BlobPart[] = [];
  let bytes = 0;
  for (const file of [...picked].sort((a, b) => relative(a).localeCompare(relative(b)))) {
    parts.push(header(relative(file), file.size, file.lastModified));
    parts.push(file);
    const pad = (BLOCK - (file.size % BLOCK)) % BLOCK;
    if (pad) parts.push(new Uint8Array(pad));
    bytes += file.size;
  }
  parts.push(new Uint8Array(2 * BLOCK));
  const gzipped = new Blob(parts).stream().pipeThrough(new CompressionStream('gzip'));
  const tarball = await new Response(gzipped).blob();
  return { tarball: new Blob([tarball], { type: 'application/gzip' }), folder, files: picked.length, bytes };
}

/** The file's path inside the picked folder ("site/css/a.css" → "css/a.css"). */
function relative(file: File): string {
  const path = file.webkitRelativePath || file.name;
  const i = path.indexOf('/');
  return i >= 0 ? path.slice(i + 1) : path;
}

/** A ustar header for a regular file (mode 0644). Names over 100 bytes go in the 155-byte prefix. */
function header(path: string, size: number, mtimeMs: number): Uint8Array<ArrayBuffer> {
  const h = new Uint8Array(BLOCK);
  const [prefix, name] = split(path);
  h.set(name, 0);
  octal(h, 100, 8, 0o644);
  octal(h, 108, 8, 0);
  octal(h, 116, 8, 0);
  if (size > 0o77777777777) throw new Error(`${path} is too large for a tarball (8 GiB at most)`);
  octal(h, 124, 12, size);
  octal(h, 136, 12, Math.max(0, Math.floor(mtimeMs / 1000)));
  h.fill(0x20, 148, 156); // the checksum counts its own field as spaces
  h[156] = 0x30; // '0': a regular file
  h.set(encoder.encode('ustar\u000000'), 257);
  h.set(prefix, 345);
  const sum = h.reduce((a, b) => a + b, 0);
  h.set(encoder.encode(`${sum.toString(8).padStart(6, '0')}\u0000 `), 148);
  return h;
}

function split(path: string): [Uint8Array, Uint8Array] {
  const whole = encoder.encode(path);
  if (whole.length <= 100) return [new Uint8Array(0), whole];
  // split at a '/' so the name (≤ 100 bytes) and the prefix (≤ 155 bytes) both fit
  for (let i = path.length - 1; i > 0; i--) {
    if (path[i] !== '/') continue;
    const prefix = encoder.encode(path.slice(0, i));
    const name = encoder.encode(path.slice(i + 1));
    if (prefix.length <= 155 && name.length <= 100 && name.length > 0) return [prefix, name];
    if (name.length > 100) break;
  }
  throw new Error(`${path}: the path is too long for a tarball (a name of at most 100 bytes in folders of at most 155)`);
}

function octal(h: Uint8Array, at: number, width: number, value: number): void {
  h.set(encoder.encode(`${value.toString(8).padStart(width - 1, '0')}\u0000`), at);
}
