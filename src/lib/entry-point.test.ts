import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { entryBeside, loaderArgs } from './entry-point.ts';

test('an entry beside a compiled module is JavaScript and needs no loader', () => {
  const entry = entryBeside('file:///opt/corral/dist/router/cluster.js', './cluster-worker');
  assert.equal(entry, '/opt/corral/dist/router/cluster-worker.js');
  assert.deepEqual(loaderArgs(entry), []);
  assert.equal(entryBeside('file:///opt/corral/dist/engine/vs-launch.js', '../web-runtime/main'), '/opt/corral/dist/web-runtime/main.js');
});

test('an entry beside a TypeScript source is TypeScript and loads tsx by absolute file URL', () => {
  const entry = entryBeside('file:///repo/src/engine/vs-launch.ts', '../web-runtime/main');
  assert.equal(entry, '/repo/src/web-runtime/main.ts');
  const [flag, url, ...rest] = loaderArgs(entry);
  assert.equal(flag, '--import');
  assert.ok(url!.startsWith('file:///') && existsSync(new URL(url!)), url);
  assert.deepEqual(rest, []);
});
