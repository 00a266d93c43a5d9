import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Printer } from './output.ts';
import { progress } from './progress.ts';

test('without a terminal, progress prints plain lines, each change once', () => {
  const lines: string[] = [];
  const print: Printer = { out: () => {}, err: (l) => lines.push(l) };
  const bar = progress(print, 'rollout', false);
  bar.update(0, 'replicas ready 0/2');
  bar.update(0, 'replicas ready 0/2');
  bar.update(0.5, 'replicas ready 1/2');
  bar.update(1, 'replicas ready 2/2');
  bar.done();
  bar.done();
  assert.deepEqual(lines, ['rollout replicas ready 0/2', 'rollout replicas ready 1/2', 'rollout replicas ready 2/2']);
});
