// The last lines of a log file, read backwards in chunks so a 10 MiB log costs only
// what is asked for.

import { open } from 'node:fs/promises';

const CHUNK = 64 * 1024;

/** Up to `lines` last lines of file (without newlines); [] if it does not exist. */
export async function tailLines(file: string, lines: number): Promise<string[]> {
  if (lines <= 0) return [];
  let fh;
  try {
    fh = await open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  try {
    let pos = (await fh.stat()).size;
    let text = '';
    let buf = Buffer.alloc(0);
    // Read until the text holds more than `lines` newlines (the extra one bounds the first line).
    while (pos > 0) {
      const len = Math.min(CHUNK, pos);
      pos -= len;
      const chunk = Buffer.alloc(len);
      await fh.read(chunk, 0, len, pos);
      buf = Buffer.concat([chunk, buf]);
      if (countNewlines(buf) > lines) break;
    }
    text = buf.toString('utf8');
    const all = text.split('\n');
    if (all.at(-1) === '') all.pop();
    if (pos > 0) all.shift(); // a cut line
    return all.slice(-lines);
  } finally {
    await fh.close();
  }
}

function countNewlines(buf: Buffer): number {
  let n = 0;
  for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) n++;
  return n;
}
