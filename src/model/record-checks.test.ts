import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readRoute } from './record-checks.ts';

const route = { site: 'shop', domains: ['shop.test'], endpoints: [{ vs: 'vs1', address: '127.0.0.1', port: 8080, release: 'v1' }], updatedAt: '2026-01-01T00:00:00Z' };

test('readRoute: a usable route; a bad balance or retry setting dropped, not the site; a bad record named by its site', () => {
  assert.deepEqual(readRoute(JSON.stringify(route)), { route, dropped: [] });
  const withBad = readRoute(JSON.stringify({ ...route, balance: { policy: 'random' }, retry: { budgetRatio: 2 } }));
  assert.deepEqual(withBad.route, route);
  assert.deepEqual(withBad.dropped.map((d) => [d.field, d.value]), [['balance', { policy: 'random' }], ['retry', { budgetRatio: 2 }]]);
  assert.match(withBad.dropped[0]!.problem, /policy/);
  const bad = readRoute(JSON.stringify({ ...route, endpoints: [{ ...route.endpoints[0], port: 0 }] }));
  assert.equal(bad.route, undefined);
  assert.deepEqual(bad.route ? undefined : [bad.site, bad.problem.startsWith('/endpoints/0/port')], ['shop', true]);
  for (const text of ['{', '"just a string"', 'null', '[]']) {
    const r = readRoute(text);
    assert.equal(r.route, undefined, text);
    assert.equal(r.route ? undefined : r.site, undefined, text);
  }
});

test('route records are read only through readRoute: no reader casts parsed JSON to a Route', async () => {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const casts: string[] = [];
  for (const e of await readdir(join(root, 'src'), { withFileTypes: true, recursive: true })) {
    if (!e.isFile() || !e.name.endsWith('.ts') || e.name.endsWith('.test.ts')) continue;
    const file = join(e.parentPath, e.name);
    if (/JSON\.parse\([^)]*\)\s+as\s+Route\b/.test(await readFile(file, 'utf8'))) casts.push(relative(root, file));
  }
  assert.deepEqual(casts, []);
});
