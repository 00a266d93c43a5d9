// The in-process `cp -al`: hard links, modes kept, symlinks linked as themselves and never followed.

import assert from 'node:assert/strict';
import { chmod, lstat, mkdir, readdir, readlink, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { hardlinkTree } from './hardlink-tree.ts';
import { tempDir } from './testing.ts';

test('a tree copied with hard links: files share their inodes, directories keep their modes, symlinks stay symlinks', async (t) => {
  const base = await tempDir(t);
  const src = path.join(base, 'release');
  await mkdir(path.join(src, 'a', 'b'), { recursive: true });
  await writeFile(path.join(src, 'index.html'), 'home');
  await writeFile(path.join(src, 'a', 'b', 'deep.css'), 'deep');
  // a secret beside the release, and links that point out of it and into it
  await mkdir(path.join(base, 'secret'));
  await writeFile(path.join(base, 'secret', 'key'), 'secret');
  await symlink('../secret', path.join(src, 'out'));
  await symlink('a', path.join(src, 'in'));
  await chmod(path.join(src, 'a'), 0o750);

  const dest = path.join(base, 'copy');
  await hardlinkTree(src, dest);

  assert.equal((await stat(path.join(dest, 'index.html'))).ino, (await stat(path.join(src, 'index.html'))).ino);
  assert.equal((await stat(path.join(dest, 'a', 'b', 'deep.css'))).ino, (await stat(path.join(src, 'a', 'b', 'deep.css'))).ino);
  assert.equal((await lstat(path.join(dest, 'a'))).mode & 0o777, 0o750);
  assert.equal((await lstat(path.join(dest, 'a'))).ino === (await lstat(path.join(src, 'a'))).ino, false, 'directories are made, not linked');
  for (const l of ['out', 'in']) {
    assert.ok((await lstat(path.join(dest, l))).isSymbolicLink(), `${l} is still a symlink`);
    assert.equal((await lstat(path.join(dest, l))).ino, (await lstat(path.join(src, l))).ino, `${l} linked as itself`);
  }
  assert.equal(await readlink(path.join(dest, 'out')), '../secret');
  assert.deepEqual((await readdir(dest)).sort(), ['a', 'in', 'index.html', 'out']);
  assert.deepEqual(await readdir(path.join(base, 'secret')), ['key'], 'nothing outside read into the copy or changed');
});

test('refuses a destination that exists and a source that is a symlink', async (t) => {
  const base = await tempDir(t);
  const src = path.join(base, 'release');
  await mkdir(src);
  await writeFile(path.join(src, 'f'), 'x');
  await mkdir(path.join(base, 'there'));
  await assert.rejects(hardlinkTree(src, path.join(base, 'there')), { code: 'EEXIST' });
  await symlink(src, path.join(base, 'link'));
  await assert.rejects(hardlinkTree(path.join(base, 'link'), path.join(base, 'copy')), /not a directory/);
});
