// --pooled / --no-pooled on site create and site set, the API's `pooled` field, and the
// farm default (pooled; --no-static-pools → the controller's staticPools option false).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startController, staticSite } from '../../controller/test-harness.ts';
import { startCliHarness, type CliRun } from '../cli-testing.ts';

const ok = (r: CliRun): CliRun => {
  assert.equal(r.code, 0, `corral failed: ${r.out}\n${r.err}`);
  return r;
};

test('site create --pooled / --no-pooled, site set --no-pooled / --pooled; app sites cannot be pooled', async (t) => {
  const h = await startCliHarness(t);
  await h.customer('acme');
  const site = async (name: string) => (await h.admin.get(`/v1/sites/${name}`)).json.site as { pooled?: boolean };
  ok(await h.corral(['site', 'create', 'blog', '--customer', 'acme', '--domain', 'blog.example.com', '--pooled']));
  assert.equal((await site('blog')).pooled, true);
  ok(await h.corral(['site', 'create', 'docs', '--customer', 'acme', '--domain', 'docs.example.com']));
  assert.equal((await site('docs')).pooled, true, 'pooled unless asked not to (the default)');
  ok(await h.corral(['site', 'create', 'wiki', '--customer', 'acme', '--domain', 'wiki.example.com', '--no-pooled']));
  assert.equal((await site('wiki')).pooled, undefined, '--no-pooled: VSs of its own');
  const off = ok(await h.corral(['site', 'set', 'blog', '--no-pooled']));
  assert.match(off.out, /pooled\s+no/);
  assert.equal((await site('blog')).pooled, undefined);
  ok(await h.corral(['site', 'set', 'blog', '--pooled']));
  assert.equal((await site('blog')).pooled, true);

  const app = await h.corral(['site', 'create', 'shop', '--customer', 'acme', '--domain', 'shop.example.com', '--kind', 'app', '--command', 'node a.js', '--pooled']);
  assert.notEqual(app.code, 0);
  assert.match(app.err, /pooled is only for static sites/);
  const bad = await h.admin.post('/v1/sites', { ...staticSite('news'), customer: 'acme', pooled: 'yes' });
  assert.equal(bad.status, 400);
});

for (const [said, staticPools] of [['absent (the default)', undefined], ['true (--static-pools, kept as an alias)', true]] as const) {
  test(`a controller with staticPools ${said}: new static sites are pooled unless they say no; app sites never`, async (t) => {
    const h = await startController(t, staticPools === undefined ? {} : { staticPools });
    await h.customer('acme');
    assert.equal((await h.admin.post('/v1/sites', { ...staticSite('blog'), customer: 'acme' })).json.site.pooled, true);
    assert.equal((await h.admin.post('/v1/sites', { ...staticSite('docs'), customer: 'acme', pooled: false })).json.site.pooled, undefined);
    const app = await h.admin.post('/v1/sites', { name: 'shop', customer: 'acme', domains: ['shop.example.com'], kind: 'app', command: 'node a.js' });
    assert.equal(app.status, 201);
    assert.equal(app.json.site.pooled, undefined);
  });
}

test('a controller with staticPools false (--no-static-pools): static sites get VSs of their own unless they say pooled', async (t) => {
  const h = await startController(t, { staticPools: false });
  await h.customer('acme');
  assert.equal((await h.admin.post('/v1/sites', { ...staticSite('blog'), customer: 'acme' })).json.site.pooled, undefined);
  assert.equal((await h.admin.post('/v1/sites', { ...staticSite('docs'), customer: 'acme', pooled: true })).json.site.pooled, true);
});

test('corral up and corral controller: --no-static-pools is documented, --static-pools still accepted and said to be the default', async (t) => {
  const h = await startCliHarness(t);
  for (const command of ['up', 'controller']) {
    const help = ok(await h.corral([command, '--help'])).out.replace(/\s+/g, ' ');
    assert.match(help, /--static-pools new static sites are pooled \(the default; kept for scripts, does nothing\)/);
    assert.match(help, /--no-static-pools new static sites get VSs of their own/);
  }
});
