// Writing one file entry: created exclusively (never through a link), exact mode, all its bytes.
import type { Hash } from 'node:crypto';
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import type { ReadEntry } from 'tar';
import { TarballError, quote } from './errors.ts';
import type { CheckedEntry } from './walk.ts';

// O_EXCL: never reuse a path; O_NOFOLLOW: never write through a link (both are belts to the
// braces of pass 1, which already guarantees no entry lies beneath or on top of a symlink).
const CREATE_FILE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** Files up to this size are taken into memory so the parser can move on while they are written. */
export const SMALL_FILE_BYTES = 256 * 1024;

/** Takes a small file's data, letting the parser move on to the next entry. */
export async function collect(entry: ReadEntry, checked: CheckedEntry, signal: AbortSignal): Promise<Buffer> {
  const chunks: Buffer[] = [];
  await eachChunk(entry, signal, async (chunk) => {
    chunks.push(chunk);
  });
  const data = Buffer.concat(chunks);
  if (data.length !== checked.size) throw short(checked);
  return data;
}

export async function writeNewFile(abs: string, checked: CheckedEntry, data: Buffer): Promise<void> {
  const fh = await open(abs, CREATE_FILE, 0o600);
  try {
    await fh.chmod(checked.mode); // exact mode, whatever the umask; no setuid/setgid/sticky
    await writeAll(fh, data);
  } finally {
    await fh.close();
  }
}

/** A large file: written chunk by chunk as the entry streams, holding up the parser meanwhile; each chunk also fed to `hash` when given. */
export async function writeStreaming(entry: ReadEntry, abs: string, checked: CheckedEntry, signal: AbortSignal, hash?: Hash): Promise<void> {
  const fh = await open(abs, CREATE_FILE, 0o600);
  try {
    await fh.chmod(checked.mode);
    let written = 0;
    await eachChunk(entry, signal, async (chunk) => {
      hash?.update(chunk);
      await writeAll(fh, chunk);
      written += chunk.length;
    });
    if (written !== checked.size) throw short(checked);
  } finally {
    await fh.close();
  }
}

/**
 * Feeds the entry's data to `handle` one chunk at a time (the entry stays paused while a
 * chunk is handled), resolving once the last chunk is handled and rejecting as soon as
 * `signal` aborts or a handler fails.
 */
function eachChunk(entry: ReadEntry, signal: AbortSignal, handle: (chunk: Buffer) => Promise<void>): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const settle = (err?: unknown): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      if (err === undefined) resolve();
      else reject(err);
    };
    const onAbort = (): void => settle(signal.reason ?? new Error('aborted'));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    // Minipass emits 'end' right after the last 'data' even when paused: wait for that chunk.
    let handling: Promise<void> = Promise.resolve();
    entry.on('end', () => handling.then(() => settle(), settle));
    entry.on('error', settle);
    entry.on('data', (chunk: Buffer) => {
      entry.pause();
      handling = handle(chunk).then(() => {
        if (!settled) entry.resume();
      });
      handling.catch(settle);
    }); // a 'data' listener sets a Minipass flowing
  });
}

async function writeAll(fh: FileHandle, buf: Buffer): Promise<void> {
  let off = 0;
  while (off < buf.length) off += (await fh.write(buf, off, buf.length - off)).bytesWritten;
}

function short(checked: CheckedEntry): TarballError {
  return new TarballError('tarball_corrupt', `entry ${quote(checked.entry)} is shorter than its header says`, { entry: checked.entry });
}
