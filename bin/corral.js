#!/usr/bin/env -S MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=131072 node
// The `corral` command: plain Node running the compiled CLI in dist/ (`npm run build`,
// which `npm install` runs). In a git checkout, a dist/ missing or older than src/ stops
// here with one line saying to build, rather than running yesterday's code.
// The first line gives every corral process (and the router workers it forks, which
// inherit it; a VS gets only its own environment) two glibc malloc settings: two arenas
// instead of one per thread that allocates (V8's and libuv's pools), and a fixed mmap
// threshold (128 KiB, the default's start: glibc otherwise raises it after each large free,
// and big short-lived buffers then stay in the heap). At 10,000 sites the idle control
// plane's RSS is 280–285 MiB with both, 297–303 with glibc's defaults (bench/density.ts,
// bench/RESULTS.md); the cost: a burst of deploys ≈ 10 % slower, the router possibly 2–4 %
// at 256 connections, even at 64 (bench/router-malloc.sh). `node bin/corral.js` runs without them.

import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const problem = distProblem(root);
if (problem) {
  process.stderr.write(`corral: ${problem}: run \`npm run build\` in ${root}\n`);
  process.exit(1);
}
const { main } = await import('../dist/cli/main.js');
await main(process.argv.slice(2));

/** Why dist/ cannot run, or undefined. */
function distProblem(dir) {
  // written by `npm run build` once the compile succeeded
  const built = statSync(join(dir, 'dist', '.built'), { throwIfNoEntry: false });
  if (!built || !existsSync(join(dir, 'dist', 'cli', 'main.js'))) return 'dist/ is not built';
  if (!existsSync(join(dir, '.git'))) return undefined; // an installed package: no sources to compare
  const newer = newerSource(join(dir, 'src'), built.mtimeMs);
  return newer ? `dist/ is older than src/ (${relative(dir, newer)} changed)` : undefined;
}

/** A source file of the build (tsconfig.build.json: no tests, no test helpers) changed after `since`. */
function newerSource(dir, since) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, e.name);
    if (e.isDirectory()) {
      const found = newerSource(full, since);
      if (found) return found;
    } else if (e.name.endsWith('.ts') && !/(\.test|testing|\.contract)\.ts$/.test(e.name) && statSync(full).mtimeMs > since) {
      return full;
    }
  }
  return undefined;
}
