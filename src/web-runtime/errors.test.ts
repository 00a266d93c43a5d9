import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { test } from 'node:test';
import { WEB_ERROR_CODES } from './errors.ts';

test('every error code is documented in README.md', async () => {
  const readme = await fs.readFile(new URL('./README.md', import.meta.url), 'utf8');
  for (const code of WEB_ERROR_CODES) assert.ok(readme.includes(`\`${code}\``), `${code} missing from README.md`);
});
