#!/usr/bin/env node
// The `corral` command: plain Node running the compiled CLI in dist/ (`npm run build`,
// which `npm install` runs). In a git checkout, a dist/ missing or older than src/ stops
// here with one line saying to build, rather than running yesterday's code.
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
