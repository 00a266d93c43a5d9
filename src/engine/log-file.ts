// A size-capped, append-only log file: when the next chunk would take the file past
// maxBytes, the file is renamed to `<path>.1` (replacing the older one) and a new
// file is started. A Writable, so piping a child's stdout into it gets backpressure.

import { mkdirSync } from 'node:fs';
import { open, rename, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';

export const DEFAULT_LOG_MAX_BYTES = 10 * 1024 * 1024;

export interface LogFileOptions {
  /** Rotate before the file would grow past this size. Default 10 MiB. */
  maxBytes?: number;
}

/** Open (append) a capped log file. Pipe sources into it with `{ end: false }` and `end()` it once. */
export function createLogFile(file: string, opts: LogFileOptions = {}): Writable {
  const maxBytes = opts.maxBytes ?? DEFAULT_LOG_MAX_BYTES;
  mkdirSync(path.dirname(file), { recursive: true });
  let handle: FileHandle | undefined;
  let size = 0;

  const reopen = async () => {
    await handle?.close();
    handle = await open(file, 'a');
    size = (await handle.stat()).size;
  };

  const rotate = async () => {
    await handle!.close();
    handle = undefined;
    await rename(file, `${file}.1`);
    await reopen();
  };

  // Rotate before a chunk that would not fit; split only a chunk larger than the cap.
  const append = async (chunk: Buffer) => {
    if (!handle) await reopen();
    while (chunk.length > 0) {
      if (size > 0 && size + chunk.length > maxBytes) await rotate();
      const part = chunk.subarray(0, maxBytes - size);
      await handle!.write(part);
      size += part.length;
      chunk = chunk.subarray(part.length);
    }
  };

  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      append(chunk).then(() => cb(), cb);
    },
    final(cb) {
      const h = handle;
      handle = undefined;
      (h ? h.close() : Promise.resolve()).then(() => cb(), cb);
    },
    destroy(err, cb) {
      const h = handle;
      handle = undefined;
      (h ? h.close() : Promise.resolve()).then(() => cb(err), () => cb(err));
    },
  });
}
