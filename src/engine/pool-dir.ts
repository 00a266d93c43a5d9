// A pool VS's directory, `<dir>/pools/<vs>/`: its web runtime's table file and one
// hard-linked copy (hardlink-tree.ts, in-process; `cp -a` across filesystems) of each release it serves,
// `<sha256>/`. The guest sees only this directory (read-only), never the engine's
// releases/ folder, which holds other customers' releases too.

import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { hardlinkTree } from './hardlink-tree.ts';
import { isDir } from './release-cache.ts';
import { assertName, assertSha256 } from './paths.ts';
import { writeFileAtomic } from '../lib/atomic-file.ts';

const run = promisify(execFile);

/** The table file's name inside the pool directory (web runtime table mode). */
export const TABLE_FILE = 'table.json';

export interface PoolTableFile {
  version: number;
  sites: { site: string; release: string; domains: string[]; root: string; spa?: boolean }[];
}

export function poolsPath(dir: string): string {
  return path.join(dir, 'pools');
}

export function poolPath(dir: string, vs: string): string {
  return path.join(poolsPath(dir), assertName('virtual server', vs));
}

/** Make `<poolDir>/<sha256>/` a copy of the unpacked release (hard links); nothing if it is there. */
export async function linkRelease(poolDir: string, sha256: string, releaseDir: string): Promise<void> {
  const dest = path.join(poolDir, assertSha256(sha256));
  if (await isDir(dest)) return;
  await mkdir(poolDir, { recursive: true });
  const tmp = path.join(poolDir, `.${sha256}.partial-${process.pid}-${Date.now()}`);
  try {
    await hardlinkTree(releaseDir, tmp).catch(async (err: unknown) => {
      // another filesystem (or links refused there): a plain copy
      if (!['EXDEV', 'EPERM', 'EMLINK'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err;
      await rm(tmp, { recursive: true, force: true });
      await run('cp', ['-a', releaseDir, tmp]);
    });
    await rename(tmp, dest);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/**
 * Write the table atomically for its reader: a temp file renamed over the old one. Not
 * fsynced (on a busy disk that was the slowest step of adding a site): only a power loss
 * could leave it torn, and after one the pool unit writes a fresh table before its VS
 * starts (pool-unit.ts prepare), so no runtime ever reads a table from before it.
 */
export async function writeTable(poolDir: string, table: PoolTableFile): Promise<void> {
  await mkdir(poolDir, { recursive: true });
  const file = path.join(poolDir, TABLE_FILE);
  await writeFileAtomic(file, JSON.stringify(table), { mode: 0o644 });
}

/** The version of the table already there (an agent restarted over a running pool), else 0. */
export async function tableVersion(poolDir: string): Promise<number> {
  try {
    const v = (JSON.parse(await readFile(path.join(poolDir, TABLE_FILE), 'utf8')) as { version?: unknown }).version;
    return Number.isSafeInteger(v) ? (v as number) : 0;
  } catch {
    return 0;
  }
}

/** Remove the release copies not in keep (and leftovers of interrupted copies); returns the sha256s removed. */
export async function removeReleases(poolDir: string, keep: ReadonlySet<string>): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await readdir(poolDir).catch(() => [] as string[])) {
    const release = /^[0-9a-f]{64}$/.test(name);
    if ((release && keep.has(name)) || (!release && !name.includes('.partial-'))) continue;
    await rm(path.join(poolDir, name), { recursive: true, force: true });
    if (release) removed.push(name);
  }
  return removed;
}

/** Remove pool directories of VSs not in keep (a crashed agent's leftovers). */
export async function removePools(dir: string, keep: ReadonlySet<string>): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await readdir(poolsPath(dir)).catch(() => [] as string[])) {
    if (keep.has(name)) continue;
    await rm(path.join(poolsPath(dir), name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

