// The second step of `npm run build`, after tsc: the entry points whose start-up time is
// the product's (a router worker forked by `corral router` or `corral up`) bundled with
// esbuild into one file each beside their compiled module (`<entry>.bundle.js`). Node's
// ESM loader pays per file: the router worker's ≈ 900 modules (TypeBox alone is ≈ 700)
// load in ≈ 0.4–0.6 s from dist/, ≈ 0.15 s as one file. src/lib/entry-point.ts
// `bundledEntryBeside` prefers the bundle when it exists. undici stays outside: the router
// loads it lazily, on its first upstream pool.
import { build } from 'esbuild';

const ENTRIES = ['dist/router/cluster/cluster-worker.js', 'dist/web-runtime/main.js'];

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
      // the CommonJS libraries inside (prom-client, pino) call require() for Node's modules
      banner: { js: "import { createRequire as __corralCreateRequire } from 'node:module'; const require = __corralCreateRequire(import.meta.url);" },
    }),
  ),
);
