// No module of src/ reaches itself again through its static imports, `import type`
// included (a type-only cycle today is a value cycle after the next edit): the farm's
// assembly (src/cli/farm.ts, farm-router.ts, src/cluster/*-node.ts, router-boot.ts)
// used to import each other. Imports are read from the sources, relative ones only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');

/** Type-only cycles inside one part, from before this check; each should go, and this list with it. */
const KNOWN = new Set([
  'cli/context.ts → cli/output.ts',
  'engine/agent.ts → engine/assignment-watch.ts → engine/metrics.ts',
]);

test('no import cycle in src/ (type-only imports count)', () => {
  const cycles = findCycles(importGraph(SRC));
  assert.deepEqual(cycles.filter((c) => !KNOWN.has(c)), [], 'new import cycles');
  assert.deepEqual([...KNOWN].filter((c) => !cycles.includes(c)), [], 'cycles gone: drop them from KNOWN');
});

test('the check sees a cycle, type-only or not', () => {
  const graph = new Map([
    ['a.ts', ['b.ts']],
    ['b.ts', ['c.ts']],
    ['c.ts', ['a.ts']],
    ['d.ts', ['a.ts']],
  ]);
  assert.deepEqual(findCycles(graph), ['a.ts → b.ts → c.ts']);
  assert.deepEqual(importsOf("import type { X } from './x.ts';\nexport { y } from '../y.ts';\nimport z from 'node:fs';\n"), ['./x.ts', '../y.ts']);
});

function importGraph(root: string): Map<string, string[]> {
  const files = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.endsWith('.d.ts'));
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const deps = importsOf(readFileSync(join(root, file), 'utf8')).map((spec) => relative(root, resolve(root, dirname(file), spec)));
    graph.set(file, deps);
  }
  return graph;
}

/** The relative modules a source imports or re-exports statically. */
function importsOf(source: string): string[] {
  return [...source.matchAll(/^(?:import|export)\s[^;]*?\sfrom\s+['"](\.{1,2}\/[^'"]+)['"]/gm)].map((m) => m[1]!);
}

/** Each cycle once, as `a → b → c`, starting where the depth-first walk met it. */
function findCycles(graph: Map<string, string[]>): string[] {
  const cycles = new Set<string>();
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (node: string) => {
    state.set(node, 'open');
    path.push(node);
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue;
      if (state.get(next) === 'open') cycles.add(path.slice(path.indexOf(next)).join(' → '));
      else if (!state.has(next)) visit(next);
    }
    path.pop();
    state.set(node, 'done');
  };
  for (const node of [...graph.keys()].sort()) if (!state.has(node)) visit(node);
  return [...cycles];
}
