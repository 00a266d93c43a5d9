import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';

it('every store error code is documented in README.md', () => {
  const source = readFileSync(new URL('./errors.ts', import.meta.url), 'utf8');
  const readme = readFileSync(new URL('./README.md', import.meta.url), 'utf8');
  const codes = [...source.matchAll(/'(STORE_[A-Z_]+)'/g)].map((m) => m[1] as string);
  assert.ok(codes.length >= 5, 'found the codes');
  for (const code of codes) assert.ok(readme.includes(`\`${code}\``), `${code} is missing from README.md`);
});
