// packDirectory: a portable, reproducible .tar.gz of a directory, checked by the same rules as uploads.
import { randomUUID } from 'node:crypto';
import { readdir, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { create } from 'tar';
import { TarballError, quote } from './errors.ts';
import { inspectTarball } from './inspect.ts';
import type { TarLimits } from './limits.ts';
import type { TarballSummary } from './walk.ts';

/**
 * Writes `dir` as a .tar.gz at `out` (atomically: a temp file beside it, then rename), with
 * relative paths in sorted order, no owners and no mtimes, so equal content packs alike.
 * Skips `.git`, `.corral` (a farm's own folder: its admin token, its keys; `corral up` and
 * `corral deploy .` run in one folder must not ship it to a site) and `node_modules/.cache`
 * at any depth, `out` itself, and anything that is not
 * a file, directory or symlink. Files with several hard links are stored as plain files.
 * The result is inspected before it is kept, so a symlink leading outside `dir` fails here
 * with the error the controller would give.
 */
export async function packDirectory(dir: string, out: string, limits?: Partial<TarLimits>): Promise<TarballSummary> {
  const tmp = `${out}.partial-${randomUUID()}`;
  const paths = await listTree(resolve(dir), new Set([resolve(out), resolve(tmp)]));
  if (paths.length === 0) throw new TarballError('tarball_empty', `nothing to pack in ${quote(dir)}`);
  try {
    await create(
      { file: tmp, gzip: true, cwd: dir, portable: true, noMtime: true, noDirRecurse: true, strict: true, linkCache: new NoHardlinks() },
      paths,
    );
    const summary = await inspectTarball(tmp, limits);
    await rename(tmp, out);
    return summary;
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** Relative paths under `root`, parents before children, names sorted, exclusions applied. */
async function listTree(root: string, exclude: ReadonlySet<string>): Promise<string[]> {
  const paths: string[] = [];
  async function walk(rel: string, parentName: string): Promise<void> {
    const dirents = await readdir(join(root, rel), { withFileTypes: true });
    dirents.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const d of dirents) {
      if (d.name === '.git' || (d.name === '.corral' && d.isDirectory()) || (parentName === 'node_modules' && d.name === '.cache')) continue;
      const child = rel === '' ? d.name : `${rel}/${d.name}`;
      if (exclude.has(join(root, child))) continue;
      if (d.isDirectory()) {
        paths.push(child);
        await walk(child, d.name);
      } else if (d.isFile() || d.isSymbolicLink()) {
        paths.push(child);
      }
    }
  }
  await walk('', '');
  return paths;
}

/** A link cache that remembers nothing, so tar never emits hard-link entries (which uploads refuse). */
class NoHardlinks extends Map<`${number}:${number}`, string> {
  override set(): this {
    return this;
  }
}
