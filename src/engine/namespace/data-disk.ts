// The data folder's disk quota, enforced: each site's data folder is an ext4 image
// file (`<data>/.disk/<site>.ext4`, sparse, made with mkfs.ext4) loop-mounted at the
// folder (nosuid, nodev). Writes past the quota fail with ENOSPC inside the guest and
// nothing else is affected. Several VSs of a site on one engine share the mount
// (counted); the last one out unmounts it. Each mount is recorded in
// `<runDir>/.mounts/` so reapOrphans unmounts what a crashed agent left. An image
// smaller than a raised quota is grown before it is mounted (e2fsck + resize2fs, so
// when no guest of the site runs on this engine); a lowered quota keeps the larger
// image (ext4 is not shrunk under live data).

import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat, writeFile, truncate, rename } from 'node:fs/promises';
import path from 'node:path';
import { HostCommandError } from '../errors.ts';
import { run } from './host-command.ts';

export interface DataDisks {
  /** Mount (or join the existing mount of) the data folder with a quota of `bytes`. */
  acquire(dataDir: string, bytes: number, uid: number): Promise<void>;
  /** Leave it; the last one out unmounts. */
  release(dataDir: string): Promise<void>;
  /** Unmount every recorded mount not acquired by this runtime; returns how many. */
  reap(): Promise<number>;
}

/** The image file of a data folder: `<data>/.disk/<site>.ext4` (no site name starts with a dot). */
export function imagePath(dataDir: string): string {
  return path.join(path.dirname(dataDir), '.disk', `${path.basename(dataDir)}.ext4`);
}

/** The mount point of `dir` in /proc/self/mountinfo, if something is mounted exactly there. */
export async function isMountPoint(dir: string): Promise<boolean> {
  const info = await readFile('/proc/self/mountinfo', 'utf8');
  return info.split('\n').some((l) => unescapeMount(l.split(' ')[4] ?? '') === dir);
}

function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

export function dataDisks(runDir: string): DataDisks {
  const recordDir = path.join(runDir, '.mounts');
  const held = new Map<string, { count: number; ready: Promise<void> }>();
  const record = (dataDir: string) => path.join(recordDir, createHash('sha256').update(dataDir).digest('hex').slice(0, 16));

  async function mount(dataDir: string, bytes: number, uid: number) {
    const image = imagePath(dataDir);
    await mkdir(path.dirname(image), { recursive: true, mode: 0o700 });
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    if (await isMountPoint(dataDir)) await run('umount', ['-l', dataDir]);
    const size = (await stat(image).catch(() => undefined))?.size;
    if (size === undefined) await createImage(image, dataDir, bytes, uid);
    else if (size < bytes) await grow(image, bytes);
    await mkdir(recordDir, { recursive: true });
    await writeFile(record(dataDir), dataDir);
    await run('mount', ['-t', 'ext4', '-o', 'loop,nosuid,nodev', image, dataDir]);
  }

  async function unmount(dataDir: string) {
    if (await isMountPoint(dataDir)) await run('umount', ['-l', dataDir], { allowFail: true });
    await rm(record(dataDir), { force: true });
  }

  return {
    async acquire(dataDir, bytes, uid) {
      const h = held.get(dataDir);
      if (h) {
        h.count++;
        return h.ready;
      }
      const ready = mount(dataDir, bytes, uid);
      held.set(dataDir, { count: 1, ready });
      try {
        await ready;
      } catch (err) {
        held.delete(dataDir);
        throw err;
      }
    },

    async release(dataDir) {
      const h = held.get(dataDir);
      if (!h) return;
      if (--h.count > 0) return;
      held.delete(dataDir);
      await h.ready.catch(() => undefined);
      await unmount(dataDir);
    },

    async reap() {
      let n = 0;
      for (const name of await readdir(recordDir).catch(() => [] as string[])) {
        const dataDir = await readFile(path.join(recordDir, name), 'utf8').catch(() => '');
        if (!dataDir || held.has(dataDir)) continue;
        await unmount(dataDir);
        await rm(path.join(recordDir, name), { force: true });
        n++;
      }
      return n;
    },
  };
}

/** A sparse ext4 image of `bytes`, root owned by uid, holding what the folder held before (moved in). lazy_journal_init: the journal is not zeroed, so a 1 GiB image takes ~0.7 MiB on disk, not 33. */
async function createImage(image: string, dataDir: string, bytes: number, uid: number) {
  const tmp = `${image}.new`;
  await rm(tmp, { force: true });
  await writeFile(tmp, '');
  await truncate(tmp, bytes);
  await run('mkfs.ext4', ['-q', '-F', '-m', '0', '-E', `root_owner=${uid}:${uid},lazy_journal_init=1`, tmp], { timeoutMs: 30_000 });
  const old = await readdir(dataDir);
  if (old.length > 0) {
    const staging = `${image}.mnt`;
    await mkdir(staging, { recursive: true });
    await run('mount', ['-t', 'ext4', '-o', 'loop', tmp, staging]);
    try {
      await run('cp', ['-a', `${dataDir}/.`, `${staging}/`], { timeoutMs: 120_000 });
    } finally {
      await run('umount', [staging], { allowFail: true });
      await rm(staging, { recursive: true, force: true });
    }
    for (const f of old) await rm(path.join(dataDir, f), { recursive: true, force: true });
  }
  await rename(tmp, image);
}

/** Grow an unmounted image to `bytes`: extend the file, check, resize ext4 offline (online resize is refused on some kernels). */
async function grow(image: string, bytes: number) {
  await truncate(image, bytes);
  const check = await run('e2fsck', ['-f', '-p', image], { timeoutMs: 60_000, allowFail: true });
  if (check.code > 1) throw new HostCommandError(`e2fsck -f -p ${image}`, check.stderr.trim() || `exit ${check.code}`);
  await run('resize2fs', [image], { timeoutMs: 60_000 });
}
