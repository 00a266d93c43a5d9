// The second step of `npm run build`, after tsc:
//
// 1. The entry points whose start-up time is the product's (a router worker forked by
//    `corral router` or `corral up`) bundled with esbuild into one file each beside their
//    compiled module (`<entry>.bundle.js`). Node's ESM loader pays per file: the router
//    worker's modules load in ≈ 0.4–0.6 s from dist/, ≈ 0.15 s as one file.
//    src/lib/entry-point.ts `bundledEntryBeside` prefers the bundle when it exists. undici
//    stays outside: the router loads it lazily, on its first upstream pool.
// 2. TypeBox (≈ 700 modules) and the fastify provider that uses it, as one split bundle in
//    dist/vendor/, and every import of them in dist/ pointed there. Loaded module by
//    module they held ≈ 5 MB of heap and ≈ 15 MB of RSS in every process that reads a
//    record (a router node's primary included); bundled ≈ 1 MB and ≈ 4 MB. One copy: every
//    importer in dist/ names the same files, and nothing else in node_modules imports them.
import { build } from 'esbuild';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ENTRIES = ['dist/router/cluster/cluster-worker.js', 'dist/web-runtime/main.js'];
/** Package specifier → its file in dist/vendor (without .js). */
const VENDOR = { typebox: 'typebox', 'typebox/compile': 'typebox-compile', '@fastify/type-provider-typebox': 'fastify-type-provider-typebox' };
// the CommonJS libraries inside (prom-client, pino) call require() for Node's modules
const REQUIRE_BANNER = "import { createRequire as __corralCreateRequire } from 'node:module'; const require = __corralCreateRequire(import.meta.url);";

await Promise.all(
  ENTRIES.map((entry) =>
    build({
      entryPoints: [entry],
      outfile: entry.replace(/\.js$/, '.bundle.js'),
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      external: ['undici'],
      sourcemap: true,
      logLevel: 'warning',
      banner: { js: REQUIRE_BANNER },
    }),
  ),
);

await build({
  entryPoints: Object.fromEntries(Object.entries(VENDOR).map(([spec, name]) => [name, fileURLToPath(import.meta.resolve(spec))])),
  outdir: 'dist/vendor',
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  logLevel: 'warning',
  banner: { js: REQUIRE_BANNER },
});
await pointAtVendor('dist');

/** Every `from '<vendored package>'` in dist's compiled modules → the relative path of its bundle; any other import of them fails the build. */
async function pointAtVendor(dir) {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const file = join(dir, e.name);
    if (e.isDirectory()) {
      if (file !== join('dist', 'vendor')) await pointAtVendor(file);
      continue;
    }
    if (!e.name.endsWith('.js') || e.name.endsWith('.bundle.js')) continue;
    const text = await readFile(file, 'utf8');
    let left = '';
    const next = text.replace(/(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])([^'"]+)\2/g, (all, lead, quote, spec) => {
      if (VENDOR[spec] === undefined) {
        if (/^(typebox|@fastify\/type-provider-typebox)(\/|$)/.test(spec)) left = spec;
        return all;
      }
      let to = relative(dirname(file), join('dist', 'vendor', `${VENDOR[spec]}.js`));
      if (!to.startsWith('.')) to = `./${to}`;
      return `${lead}${quote}${to}${quote}`;
    });
    if (left) throw new Error(`${file} imports ${left}, which scripts/bundle.mjs does not vendor: add it to VENDOR`);
    if (next !== text) await writeFile(file, next);
  }
}
