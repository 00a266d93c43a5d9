// What of the host a guest sees besides /usr: the root's links into /usr, and Node's
// install plus the parts of this repository the static web runtime needs (its code,
// dist/ once built or src/ plus tsconfig.json under tsx; node_modules, package.json) —
// never the repository root itself, which may hold `.corral/` (the store and every
// site's data).

import { existsSync, lstatSync, readlinkSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { WEB_RUNTIME_MAIN } from '../vs-launch.ts';

export const ROOT_LINKS = ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];

/** Each of /bin, /lib…: its symlink target (merged /usr), null for a real directory; absent ones left out. */
export function rootLinks(): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const p of ROOT_LINKS) {
    try {
      out[p] = lstatSync(p).isSymbolicLink() ? readlinkSync(p) : null;
    } catch {
      // not on this machine
    }
  }
  return out;
}

/** Read-only binds at the same path: Node (when outside /usr) and the web runtime's code. */
export function runtimeBinds(execPath = process.execPath, webMain = WEB_RUNTIME_MAIN): string[] {
  const binds: string[] = [];
  const nodePrefix = path.dirname(path.dirname(execPath));
  if (!isUnder(execPath, '/usr')) binds.push(nodePrefix);
  const code = path.resolve(path.dirname(webMain), '..'); // dist/ or src/
  const repo = path.dirname(code);
  const parts = [path.basename(code), 'node_modules', 'package.json', ...(webMain.endsWith('.ts') ? ['tsconfig.json'] : [])];
  for (const p of parts) {
    const full = path.join(repo, p);
    if (existsSync(full) && !binds.some((b) => isUnder(full, b))) binds.push(full);
    // a linked folder (a shared node_modules): Node resolves modules by their real path
    const real = existsSync(full) ? realpathSync(full) : full;
    if (real !== full && !binds.some((b) => isUnder(real, b))) binds.push(real);
  }
  return binds;
}

function isUnder(p: string, dir: string): boolean {
  const rel = path.relative(dir, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}
