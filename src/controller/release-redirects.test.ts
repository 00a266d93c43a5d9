// A static release's `_redirects` is checked at upload: a bad line refuses the whole release,
// naming the line, and leaves no release or blob; a good one is taken as any file.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { access } from 'node:fs/promises';
import { test } from 'node:test';
import { rawTarGz } from '../lib/tarball/test-archives.ts';
import { makeTarball, staticSite, startController } from './test-harness.ts';

async function withSite(t: Parameters<typeof startController>[0]) {
  const h = await startController(t);
  const acme = await h.customer('acme');
  assert.equal((await acme.post('/v1/sites', staticSite('blog'))).status, 201);
  return { h, acme };
}

test('a static release with a bad _redirects line is refused naming the line, and leaves nothing', async (t) => {
  const { h, acme } = await withSite(t);
  const cases: [string, RegExp][] = [
    ['# moved\n/old /new\n/tmp /temp 404\n', /^_redirects line 3: .*301, 302, 307 or 308/],
    ['/a /b\n/c /d\rLocation: https://evil.example\n', /^_redirects line 2: a control character/],
    [`/a /${'x'.repeat(2000)}\n`, /^_redirects line 1: longer than 1024 bytes/],
    [Array.from({ length: 1001 }, (_, i) => `/p${i} /q`).join('\n'), /^_redirects line 1001: more than 1000 rules/],
  ];
  for (const [rules, message] of cases) {
    const tarball = await makeTarball(t, { 'index.html': 'ok', '_redirects': rules });
    const res = await acme.upload('/v1/sites/blog/releases', tarball);
    assert.equal(res.status, 400, res.body);
    assert.equal(res.json.error.code, 'redirects_invalid');
    assert.match(res.json.error.message, message);
    await assert.rejects(access(h.blobs.path(createHash('sha256').update(tarball).digest('hex'))), 'the refused blob was deleted');
  }
  assert.deepEqual((await acme.get('/v1/sites/blog/releases')).json.releases, []);
  assert.equal((await acme.get('/v1/sites/blog')).json.site.release, undefined);
});

test('a good _redirects is taken; a _redirects below the root or in an app release is only a file', async (t) => {
  const { acme } = await withSite(t);
  const good = await acme.upload('/v1/sites/blog/releases', await makeTarball(t, { 'index.html': 'ok', '_redirects': '/old /new\n/blog/* https://news.example/:splat 302\n' }));
  assert.equal(good.status, 201, good.body);
  const nested = await acme.upload('/v1/sites/blog/releases', await makeTarball(t, { 'index.html': 'ok2', 'docs/_redirects': 'not rules' }));
  assert.equal(nested.status, 201, nested.body);
  assert.equal((await acme.post('/v1/sites', { name: 'api', kind: 'app', command: 'node server.js', domains: ['api.acme.test'] })).status, 201);
  const app = await acme.upload('/v1/sites/api/releases', await makeTarball(t, { 'server.js': '', '_redirects': 'not rules' }));
  assert.equal(app.status, 201, app.body);
  const folder = await acme.upload('/v1/sites/blog/releases', await makeTarball(t, { 'index.html': 'ok3', '_redirects/x': '' }));
  assert.equal(folder.status, 201, folder.body);
});

test('a _redirects that is a symlink is refused: the web runtime reads only a regular file', async (t) => {
  const { acme } = await withSite(t);
  const tarball = rawTarGz([{ path: 'index.html', body: 'ok' }, { path: 'rules.txt', body: '/a /b\n' }, { path: '_redirects', type: '2', linkpath: 'rules.txt' }]);
  const res = await acme.upload('/v1/sites/blog/releases', tarball);
  assert.equal(res.status, 400, res.body);
  assert.equal(res.json.error.code, 'redirects_invalid');
  assert.match(res.json.error.message, /^_redirects: must be a regular file .*not a symlink/);
});
