// A size-capped append-only text file written synchronously (for logs that must not be
// lost on exit and are written by one process): when a write would take the file past
// maxBytes, it becomes `<path>.1` (replacing the older one) and a new file is started.

import { closeSync, fstatSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export const DEFAULT_CAPPED_BYTES = 10 * 1024 * 1024;

export interface CappedFile {
  write(text: string): void;
  close(): void;
}

export function openCappedFile(path: string, maxBytes = DEFAULT_CAPPED_BYTES): CappedFile {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  let fd: number | undefined = openSync(path, 'a', 0o600);
  let size = fstatSync(fd).size;
  return {
    write(text) {
      if (fd === undefined) return;
      const bytes = Buffer.from(text);
      if (size > 0 && size + bytes.length > maxBytes) {
        closeSync(fd);
        renameSync(path, `${path}.1`);
        fd = openSync(path, 'a', 0o600);
        size = 0;
      }
      writeSync(fd, bytes);
      size += bytes.length;
    },
    close() {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}
