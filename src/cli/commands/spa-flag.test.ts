// --spa / --no-spa on site create and site set, the API's `spa` field, and `corral site show`.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startCliHarness, type CliRun } from '../cli-testing.ts';

const ok = (r: CliRun): CliRun => {
  assert.equal(r.code, 0, `corral failed: ${r.out}\n${r.err}`);
  return r;
};

test('site create --spa, site show, site set --no-spa / --spa; app sites cannot have it', async (t) => {
  const h = await startCliHarness(t);
  await h.customer('acme');
  const spa = async (name: string) => ((await h.admin.get(`/v1/sites/${name}`)).json.site as { spa?: boolean }).spa;
  ok(await h.corral(['site', 'create', 'app', '--customer', 'acme', '--domain', 'app.example.com', '--spa']));
  assert.equal(await spa('app'), true);
  assert.match(ok(await h.corral(['site', 'show', 'app'])).out, /spa\s+on \(a page path naming no file gets \/index\.html\)/);
  ok(await h.corral(['site', 'create', 'docs', '--customer', 'acme', '--domain', 'docs.example.com']));
  assert.equal(await spa('docs'), undefined, 'off unless asked (the default)');
  assert.match(ok(await h.corral(['site', 'show', 'docs'])).out, /spa\s+off/);

  const off = ok(await h.corral(['site', 'set', 'app', '--no-spa']));
  assert.match(off.out, /spa\s+off/);
  assert.equal(await spa('app'), undefined);
  ok(await h.corral(['site', 'set', 'docs', '--spa']));
  assert.equal(await spa('docs'), true);

  const app = await h.corral(['site', 'create', 'shop', '--customer', 'acme', '--domain', 'shop.example.com', '--kind', 'app', '--command', 'node a.js', '--spa']);
  assert.notEqual(app.code, 0);
  assert.match(app.err, /spa is only for static sites/);
});
