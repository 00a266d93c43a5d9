// Keep every file access inside a site's root: resolve symlinks (realpath) and refuse
// anything that lands outside the root, on a dotfile, or on the root's `_redirects` (the
// site's redirect rules, site-redirects.ts, are never served as a file).

import fs from 'node:fs/promises';
import path from 'node:path';
import { REDIRECTS_FILE } from '../lib/redirects.ts';
import { FileNotFoundError, PathRefusedError } from './errors.ts';

/** A site root with its real path resolved once (release directories are immutable). */
export interface SiteRoot {
  readonly dir: string;
  real(): Promise<string>;
}

export function siteRoot(dir: string): SiteRoot {
  let real: Promise<string> | undefined;
  return {
    dir,
    real() {
      real ??= fs.realpath(dir).catch((err: unknown) => {
        real = undefined; // the directory may appear later; do not cache the failure
        throw notFoundOr(err);
      });
      return real;
    },
  };
}

/** The real path of root/segments, if it exists and stays inside the root; else throws (→ 404). */
export async function confine(root: SiteRoot, segments: string[]): Promise<string> {
  const realRoot = await root.real();
  let real: string;
  try {
    real = await fs.realpath(path.join(realRoot, ...segments));
  } catch (err) {
    throw notFoundOr(err);
  }
  const rel = path.relative(realRoot, real);
  if (rel === '') return real;
  if (rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) throw new PathRefusedError('symlink leads outside the site root');
  const dotfile = rel.split(path.sep).find((s) => s.startsWith('.') && s !== '.well-known');
  if (dotfile !== undefined) throw new PathRefusedError(`symlink leads to dotfile "${dotfile}"`);
  if (rel === REDIRECTS_FILE) throw new PathRefusedError(`${REDIRECTS_FILE} is the site's redirect rules, not a page`);
  return real;
}

/** Errors that mean "there is nothing there" become FileNotFoundError; others pass through (→ 500). */
export function notFoundOr(err: unknown): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP' || code === 'ENAMETOOLONG' ? new FileNotFoundError() : err;
}
