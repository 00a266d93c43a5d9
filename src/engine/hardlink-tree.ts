// A copy of a directory tree made of hard links, in-process (what `cp -al` does, without
// a process per copy): each directory made again with its mode, each file and each
// symlink hard-linked — a symlink is linked as itself, never followed, so nothing outside
// the tree is read or copied. Anything else (a device, a FIFO, a socket) is refused:
// unpacked releases hold none. Fails with EXDEV across filesystems (the caller copies).

import { chmod, link, lstat, mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';

/** Make dest (which must not exist) a hard-linked copy of the directory src. */
export async function hardlinkTree(src: string, dest: string): Promise<void> {
  const st = await lstat(src);
  if (!st.isDirectory()) throw new Error(`${src} is not a directory`);
  await mkdir(dest, { mode: 0o700 });
  await copyDir(src, dest);
  await chmod(dest, st.mode & 0o7777);
}

async function copyDir(src: string, dest: string): Promise<void> {
  const entries = await readdir(src, { withFileTypes: true });
  await Promise.all(
    entries.map(async (e) => {
      const from = path.join(src, e.name);
      const to = path.join(dest, e.name);
      if (e.isFile() || e.isSymbolicLink()) return link(from, to);
      if (!e.isDirectory()) throw new Error(`${from} is neither a file, a directory nor a symlink`);
      const mode = (await lstat(from)).mode & 0o7777;
      await mkdir(to, { mode: 0o700 });
      await copyDir(from, to);
      await chmod(to, mode);
    }),
  );
}
