#!/bin/sh
":" //; for a in "$@"; do case $a in up|controller|engine|router) j=/usr/lib/$(uname -m)-linux-gnu/libjemalloc.so.2; [ -r "$j" ] || j=/usr/lib64/libjemalloc.so.2; if [ "${CORRAL_MALLOC:-}" != glibc ] && [ -z "${LD_PRELOAD:-}" ] && [ -r "$j" ]; then export LD_PRELOAD="$j" CORRAL_JEMALLOC="$j"; [ -n "${MALLOC_CONF:-}" ] || export MALLOC_CONF=narenas:2,background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0 CORRAL_JEMALLOC_CONF=1; fi; break;; esac; done; export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}" MALLOC_MMAP_THRESHOLD_="${MALLOC_MMAP_THRESHOLD_:-131072}"; exec node "$0" "$@"
// The `corral` command: plain Node running the compiled CLI in dist/ (`npm run build`,
// which `npm install` runs). In a git checkout, a dist/ missing or older than src/ stops
// here with one line saying to build, rather than running yesterday's code.
//
// The file is read twice: first by /bin/sh (the first line), for which the second line is
// the launcher (`:`, a no-op, then the rest), then by node, for which it is a string and a
// comment. The launcher:
//   - for the commands that run a farm's processes (an argument `up`, `controller`,
//     `engine` or `router`), preloads jemalloc (Debian's libjemalloc2, this machine's
//     architecture) when installed, unless CORRAL_MALLOC=glibc or the operator set an
//     LD_PRELOAD of their own: two arenas, freed pages given back within about a second by
//     its background thread. glibc gives back only the free space at the top of its heap,
//     and `corral up` at 10,000 sites kept 21–31 MiB of heap resident for 8 MB in use
//     (freed holes between long-lived blocks); with jemalloc its RSS went from 143–149 to
//     131–137 MiB (bench/density.ts, bench/RESULTS.md). An operator's MALLOC_CONF is kept.
//   - runs node with two glibc malloc settings, unless the operator set them (for the
//     processes on glibc: the router workers, short commands, and every corral process
//     when jemalloc is absent): two arenas instead of one per thread that allocates (V8's
//     and libuv's pools), and a fixed mmap threshold (128 KiB, the default's start: glibc
//     otherwise raises it after each large free, and big short-lived buffers then stay in
//     the heap). With glibc alone, the idle control plane at 10,000 sites is 280–285 MiB
//     with both, 297–303 with glibc's defaults; the cost: a burst of deploys ≈ 10 % slower,
//     the router possibly 2–4 % at 256 connections, even at 64 (bench/router-malloc.sh).
// jemalloc is this process's alone: below, the launcher's variables leave the environment,
// so the processes it starts (router workers, 2–5 MiB larger each with jemalloc) use
// glibc. A VS gets only its own environment. `node bin/corral.js …` runs the same code
// without the launcher.

import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

forgetJemalloc(process.env);
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

/** Take the launcher's jemalloc out of the environment the children inherit (this process keeps it: it is loaded). */
function forgetJemalloc(env) {
  if (env.CORRAL_JEMALLOC === undefined) return;
  if (env.LD_PRELOAD === env.CORRAL_JEMALLOC) delete env.LD_PRELOAD; // the launcher sets it only when it was empty
  if (env.CORRAL_JEMALLOC_CONF === '1') delete env.MALLOC_CONF;
  delete env.CORRAL_JEMALLOC;
  delete env.CORRAL_JEMALLOC_CONF;
}
