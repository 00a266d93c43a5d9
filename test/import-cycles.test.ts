// No module of src/ reaches itself again through its static imports, `import type`
// included (a type-only cycle today is a value cycle after the next edit): the farm's
// assembly (src/cli/farm.ts, farm-router.ts, src/cluster/*-node.ts, router-boot.ts)
// used to import each other. Imports are read from the sources, relative ones only.
// Also what a router node's primary loads: never the router's request path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importGraph, importsOf, reached } from './helpers/import-graph.ts';

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

test('`corral router` loads no file of the router’s request path statically: its workers serve, and an in-process router loads it on demand', () => {
  const graph = importGraph(SRC, { values: true });
  // bin/corral.js → cli/main.ts → the command's module (imported when it runs) → what it imports when it runs
  const entries = ['cli/main.ts', 'cli/commands/router.ts', 'cluster/router-boot.ts', 'cluster/router-role.ts'];
  const requestPath = (f: string) => f === 'router/router.ts' || /^router\/(front|upstream)\//.test(f);
  const loaded = reached(graph, entries);
  assert.ok(loaded.has('router/follow.ts') && loaded.has('router/cluster/cluster.ts'), 'the walk reaches the router part');
  assert.deepEqual([...loaded].filter(requestPath), []);
  // the check sees the request path when a module imports it (as index.ts does)
  assert.ok([...reached(graph, ['router/index.ts'])].some(requestPath));
});

test('the check sees a cycle, type-only or not', () => {
  const graph = new Map([
    ['a.ts', ['b.ts']],
    ['b.ts', ['c.ts']],
    ['c.ts', ['a.ts']],
    ['d.ts', ['a.ts']],
  ]);
  assert.deepEqual(findCycles(graph), ['a.ts → b.ts → c.ts']);
  const source = "import type { X } from './x.ts';\nexport { y } from '../y.ts';\nimport z from 'node:fs';\nexport type { W } from './w.ts';\nimport './v.ts';\n";
  assert.deepEqual(importsOf(source), ['./x.ts', '../y.ts', './w.ts', './v.ts']);
  assert.deepEqual(importsOf(source, { values: true }), ['../y.ts', './v.ts']);
});

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
