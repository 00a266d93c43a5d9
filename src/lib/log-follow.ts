// Follow a rotating log file like `tail -F`: poll for new bytes, hand over complete
// lines, and when the file was rotated (a new inode) finish the old one from `.1`
// before starting on the new file. A missing file is waited for.

import type { Stats } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';

export interface FollowOptions {
  pollMs?: number;
  /** Start at the beginning of the current file instead of its end. */
  fromStart?: boolean;
}

/** Call onLine for each new line of file until the returned stop() is called. */
export function followFile(file: string, onLine: (line: string) => void, opts: FollowOptions = {}): () => void {
  const pollMs = opts.pollMs ?? 250;
  let ino: number | undefined;
  let offset = 0;
  let partial = '';
  let decoder = new StringDecoder('utf8');
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  const emit = (bytes: Buffer) => {
    const parts = (partial + decoder.write(bytes)).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) if (!stopped) onLine(line);
  };

  const tick = async () => {
    const st = await statOrNull(file);
    if (!st) return;
    if (ino !== undefined && st.ino !== ino) {
      const old = await statOrNull(`${file}.1`);
      if (old?.ino === ino) emit(await readFrom(`${file}.1`, offset, old.size));
      const rest = partial + decoder.end();
      if (rest && !stopped) onLine(rest);
      partial = '';
      decoder = new StringDecoder('utf8');
      ino = st.ino;
      offset = 0;
    }
    ino ??= st.ino;
    if (st.size < offset) offset = 0; // truncated in place
    if (st.size > offset) {
      emit(await readFrom(file, offset, st.size));
      offset = st.size;
    }
  };

  const loop = () => {
    timer = setTimeout(() => {
      tick().catch(() => {}).finally(() => {
        if (!stopped) loop();
      });
    }, pollMs);
  };

  void statOrNull(file).then((st) => {
    if (st) {
      ino = st.ino;
      offset = opts.fromStart ? 0 : st.size;
    }
    if (!stopped) loop();
  });

  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

async function statOrNull(file: string): Promise<Stats | null> {
  try {
    return await stat(file);
  } catch {
    return null;
  }
}

async function readFrom(file: string, start: number, end: number): Promise<Buffer> {
  if (end <= start) return Buffer.alloc(0);
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(end - start);
    const { bytesRead } = await fh.read(buf, 0, buf.length, start);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}
