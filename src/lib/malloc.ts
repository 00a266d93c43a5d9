// Which malloc this process runs on. bin/corral.js's launcher preloads jemalloc into `corral
// up` and the cluster roles when Debian's libjemalloc2 is installed (unless CORRAL_MALLOC is
// `glibc` or the operator set LD_PRELOAD); the processes they start use glibc. A farm node logs which one it got, so an operator reading
// a memory figure knows which allocator it belongs to.

import { readFileSync } from 'node:fs';

export type MallocName = 'jemalloc' | 'glibc';

/** jemalloc when its library is mapped into the process (`maps`: /proc/self/maps' text), else glibc. */
export function mallocInUse(maps: string = readMaps()): MallocName {
  return /\/libjemalloc\.so[.\d]*( \(deleted\))?$/m.test(maps) ? 'jemalloc' : 'glibc';
}

function readMaps(): string {
  try {
    return readFileSync('/proc/self/maps', 'utf8');
  } catch {
    return ''; // no /proc: not Linux, so not the launcher's jemalloc either
  }
}
