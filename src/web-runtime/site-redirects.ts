// A site's redirects: its release's `_redirects` file (src/lib/redirects.ts), read once when
// the site's release is loaded — never per request, and in table mode not again for a site
// whose release did not change — and never served as a file (confine.ts). Only a regular
// file at the root is read (not through a symlink; a folder of that name is content), at
// most MAX_REDIRECTS_BYTES. The
// controller refuses a release whose file breaks a rule; one that reaches a runtime anyway (a
// folder served with CORRAL_WEB_ROOT, a release uploaded before the rules) is logged
// (`redirects_refused`) and the site is served without redirects.

import fs from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../lib/log.ts';
import { MAX_REDIRECTS_BYTES, parseRedirects, REDIRECTS_FILE, RedirectsError, type RedirectRules } from '../lib/redirects.ts';

/** A site's rules once read; undefined: it has none (or none that could be used). Never rejects. */
export type SiteRedirects = Promise<RedirectRules | undefined>;

/** Read and parse `<root>/_redirects`; problems are logged with the site's root and leave the site without redirects. */
export function loadRedirects(root: string, log: Logger): SiteRedirects {
  return readRules(root).catch((err: unknown) => {
    const reason = err instanceof RedirectsError ? err.message : `${REDIRECTS_FILE} could not be read: ${(err as Error).message}`;
    log.warn({ event: 'redirects_refused', root, err }, `${reason}; the site is served without redirects`);
    return undefined;
  });
}

async function readRules(root: string): Promise<RedirectRules | undefined> {
  let fh: fs.FileHandle;
  try {
    fh = await fs.open(path.join(root, REDIRECTS_FILE), fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    if (code === 'ELOOP') throw new RedirectsError('is a symlink; only a regular file is read');
    throw err;
  }
  try {
    const st = await fh.stat();
    if (st.isDirectory()) return undefined; // a folder of that name is content, not rules
    if (!st.isFile()) throw new RedirectsError('is not a regular file');
    if (st.size > MAX_REDIRECTS_BYTES) throw new RedirectsError(`the file is larger than ${MAX_REDIRECTS_BYTES / 1024} KiB`);
    const rules = parseRedirects(await fh.readFile('utf8'));
    return rules.size > 0 ? rules : undefined;
  } finally {
    await fh.close().catch(() => undefined);
  }
}
