import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';

it('every cluster error code is documented in README.md', () => {
  const readme = readFileSync(new URL('./README.md', import.meta.url), 'utf8');
  const sources = ['./errors.ts', './join.ts'].map((f) => readFileSync(new URL(f, import.meta.url), 'utf8')).join('\n');
  const codes = [...sources.matchAll(/'(CLUSTER_[A-Z_]+)'/g)].map((m) => m[1] as string);
  assert.ok(codes.length >= 5, 'found the codes');
  for (const code of codes) assert.ok(readme.includes(`\`${code}\``), `${code} is missing from README.md`);
});
