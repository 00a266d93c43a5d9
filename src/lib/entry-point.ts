// Entry points Corral starts as Node processes of their own (router workers, the static
// web runtime), found beside the module that starts them. Shipped, the modules are the
// compiled JavaScript in dist/ and the children run with plain `node`; when the sources
// run under tsx (tests, benchmarks), the entry is the `.ts` file and the child loads tsx.

import { existsSync } from 'node:fs';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The file `relative` (no extension) resolves to from `base` (an `import.meta.url`), with base's own extension. */
export function entryBeside(base: string, relative: string): string {
  return fileURLToPath(new URL(relative + extname(fileURLToPath(base)), base));
}

/**
 * The same entry, preferring its single-file bundle (`<relative>.bundle.js`, made by
 * `npm run build`: scripts/bundle.mjs) beside compiled JavaScript: one file loads several
 * times faster than the hundreds of modules it holds.
 */
export function bundledEntryBeside(base: string, relative: string): string {
  const entry = entryBeside(base, relative);
  if (!entry.endsWith('.js')) return entry;
  const bundle = entry.replace(/\.js$/, '.bundle.js');
  return existsSync(bundle) ? bundle : entry;
}

/** Node arguments an entry needs: none for JavaScript; tsx, by absolute URL, for TypeScript (the child's cwd may be anywhere). */
export function loaderArgs(entry: string): string[] {
  return entry.endsWith('.ts') ? ['--import', import.meta.resolve('tsx')] : [];
}
