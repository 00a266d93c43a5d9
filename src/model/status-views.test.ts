import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DECLARED = /^\s*(?:export\s+)?(?:interface|type)\s+(SiteStatus|FarmStatus|VirtualServerView)\b/gm;

test('the status answers are declared once, in src/model/status-views.ts (the controller, the CLI and the console import them)', async () => {
  const found: string[] = [];
  for (const dir of ['src', 'console/src']) {
    for (const file of await sources(join(ROOT, dir))) {
      for (const m of (await readFile(file, 'utf8')).matchAll(DECLARED)) found.push(`${relative(ROOT, file)}: ${m[1]}`);
    }
  }
  assert.deepEqual(found.sort(), ['FarmStatus', 'SiteStatus', 'VirtualServerView'].map((t) => `src/model/status-views.ts: ${t}`));
  const consoleApi = await readFile(join(ROOT, 'console/src/api.ts'), 'utf8');
  assert.match(consoleApi, /^import type \{[^}]*SiteStatus[^}]*\} from '\.\.\/\.\.\/src\/model\/status-views\.ts';$/m);
});

async function sources(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile() && /\.tsx?$/.test(e.name) && !e.name.endsWith('.test.ts')) out.push(join(e.parentPath, e.name));
  }
  return out;
}
