// A parsed request path → the file to serve, or a redirect to the directory's "/" form.
// Directories serve their index.html; "/dir" redirects to "/dir/" only when that index exists.

import fs from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { confine, notFoundOr, type SiteRoot } from './confine.ts';
import { FileNotFoundError } from './errors.ts';
import { encodePath, type RequestPath } from './request-path.ts';

export type Resolved =
  /** path: the real path (symlinks resolved); name: the file's name as asked for (a directory's: index.html). */
  | { kind: 'file'; path: string; stats: Stats; name: string }
  | { kind: 'redirect'; location: string };

const INDEX = 'index.html';

export async function resolveFile(root: SiteRoot, req: RequestPath): Promise<Resolved> {
  const target = await statConfined(root, req.segments);
  if (target.stats.isFile()) {
    if (req.trailingSlash) throw new FileNotFoundError();
    return { kind: 'file', ...target, name: req.segments.at(-1) ?? INDEX };
  }
  if (!target.stats.isDirectory()) throw new FileNotFoundError();
  const index = await statConfined(root, [...req.segments, INDEX]);
  if (!index.stats.isFile()) throw new FileNotFoundError();
  if (!req.trailingSlash) return { kind: 'redirect', location: encodePath(req.segments, true) + req.search };
  return { kind: 'file', ...index, name: INDEX };
}

/** The site's own 404.html, if it has one. */
export async function findNotFoundPage(root: SiteRoot): Promise<{ path: string; stats: Stats } | undefined> {
  try {
    const page = await statConfined(root, ['404.html']);
    return page.stats.isFile() ? page : undefined;
  } catch {
    return undefined;
  }
}

async function statConfined(root: SiteRoot, segments: string[]): Promise<{ path: string; stats: Stats }> {
  const real = await confine(root, segments);
  try {
    return { path: real, stats: await fs.stat(real) };
  } catch (err) {
    throw notFoundOr(err);
  }
}
