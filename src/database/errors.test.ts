import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';

test('every database error code is documented in README.md', async () => {
  const source = await readFile(new URL('errors.ts', import.meta.url), 'utf8');
  const codes = [...source.matchAll(/super\('([a-z_]+)'/g)].map((m) => m[1]);
  assert.ok(codes.length >= 3);
  const doc = await readFile(new URL('README.md', import.meta.url), 'utf8');
  for (const code of codes) assert.match(doc, new RegExp(`\\| \`${code}\` \\|`), `${code} is missing from README.md`);
});
