// Where bin/corral.js's launcher finds jemalloc (Debian's libjemalloc2), the same places in
// the same order; undefined when it is not installed.
import { accessSync, constants, readdirSync } from 'node:fs';

export function installedJemalloc(): string | undefined {
  const multiarch = readdirSync('/usr/lib').filter((d) => d.endsWith('-linux-gnu')).sort().map((d) => `/usr/lib/${d}/libjemalloc.so.2`);
  return [...multiarch, '/usr/lib64/libjemalloc.so.2'].find((p) => {
    try {
      accessSync(p, constants.R_OK);
      return true;
    } catch {
      return false;
    }
  });
}
