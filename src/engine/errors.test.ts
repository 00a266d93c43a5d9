import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { CorralError } from '../lib/errors.ts';
import * as errors from './errors.ts';

test('every engine error code is documented in README.md', async () => {
  const readme = await readFile(new URL('./README.md', import.meta.url), 'utf8');
  const source = await readFile(new URL('./errors.ts', import.meta.url), 'utf8');
  const codes = [...source.matchAll(/'(ENGINE_[A-Z_]+)'/g)].map((m) => m[1]!);
  assert.ok(codes.length >= 5);
  for (const code of codes) assert.ok(readme.includes(`\`${code}\``), `${code} is missing from README.md`);
  for (const E of Object.values(errors)) assert.ok(E.prototype instanceof CorralError);
});
