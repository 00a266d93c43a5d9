// The static import graph of src/, read from the sources (relative imports only): for the
// checks on how parts and entry points load (import-cycles.test.ts).
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** Each source file of root (tests left out) → the files it imports, relative to root. `values`: leave out `import type` and `export type`. */
export function importGraph(root: string, opts: { values?: boolean } = {}): Map<string, string[]> {
  const files = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.endsWith('.d.ts'));
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const deps = importsOf(readFileSync(join(root, file), 'utf8'), opts).map((spec) => relative(root, resolve(root, dirname(file), spec)));
    graph.set(file, deps);
  }
  return graph;
}

/** The relative modules a source imports or re-exports statically (dynamic import() is not followed: it is how a module loads a part on demand). */
export function importsOf(source: string, opts: { values?: boolean } = {}): string[] {
  const bindings = [...source.matchAll(/^(import|export)(\s+type)?\s[^;]*?\sfrom\s+['"](\.{1,2}\/[^'"]+)['"]/gm)].filter((m) => !(opts.values && m[2])).map((m) => m[3]!);
  const sideEffects = [...source.matchAll(/^import\s+['"](\.{1,2}\/[^'"]+)['"]/gm)].map((m) => m[1]!);
  return [...bindings, ...sideEffects];
}

/** Every file reached from the entries through the graph's edges, the entries included. */
export function reached(graph: Map<string, string[]>, entries: readonly string[]): Set<string> {
  const seen = new Set(entries);
  const queue = [...entries];
  for (let file = queue.pop(); file !== undefined; file = queue.pop()) {
    for (const next of graph.get(file) ?? []) {
      if (!seen.has(next)) {
        seen.add(next);
        queue.push(next);
      }
    }
  }
  return seen;
}
