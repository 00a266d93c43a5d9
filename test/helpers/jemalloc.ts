// Where bin/corral.js's launcher finds jemalloc (Debian's libjemalloc2): this machine's
// multiarch folder (`uname -m`), then /usr/lib64; undefined when it is not installed.
import { accessSync, constants } from 'node:fs';
import { machine } from 'node:os';

export function installedJemalloc(): string | undefined {
  return [`/usr/lib/${machine()}-linux-gnu/libjemalloc.so.2`, '/usr/lib64/libjemalloc.so.2'].find((p) => {
    try {
      accessSync(p, constants.R_OK);
      return true;
    } catch {
      return false;
    }
  });
}
