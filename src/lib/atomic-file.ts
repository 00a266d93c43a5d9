// A file replaced in one step for its readers: written beside it under a name of this
// process's, then renamed over it. Not fsynced: for files that matter while the machine
// runs, or that are written afresh after a power loss (each caller says which).
import { rename, writeFile } from 'node:fs/promises';

export async function writeFileAtomic(file: string, data: string | Buffer, opts: { mode?: number } = {}): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, data, opts.mode !== undefined ? { mode: opts.mode } : {});
  await rename(tmp, file);
}
