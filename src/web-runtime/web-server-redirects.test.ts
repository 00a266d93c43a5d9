// A release's `_redirects` (site-redirects.ts): read once when the site is loaded, answered
// before any file, never served itself; a bad file leaves the site served without redirects.

import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { captureLog } from '../lib/log-testing.ts';
import { waitFor } from '../lib/wait.ts';
import { rawRequest, startTableServer, startWebServer, tempSiteDir } from './testing.ts';
import { buildWebServer, STATUS_KEY_HEADER } from './web-server.ts';
import { listenOn } from '../lib/listen.ts';

const RULES = [
  '# moved',
  '/old-page   /new-page',
  '/promo      /sale        302',
  '/blog/*     /news/:splat 301',
  '/shop/*     https://shop.example.com/:splat 308',
  '/index.html /moved-home  307',
].join('\n');

test('rules: 301 by default, 302, 307, 308 with Location; splat; the query passed on; before any file', async (t) => {
  const root = await tempSiteDir(t, { 'index.html': 'home', 'new-page.html': 'new', '_redirects': RULES });
  const port = await startWebServer(t, [{ domains: [], root }]);
  const expect = async (p: string, status: number, location: string) => {
    const res = await rawRequest(port, p);
    assert.equal(res.status, status, p);
    assert.equal(res.headers.location, location, p);
    assert.equal(res.headers['cache-control'], 'public, max-age=0, must-revalidate', `${p}: a later deploy's rules show at once`);
  };
  await expect('/old-page', 301, '/new-page');
  await expect('/old-page/?ref=mail', 301, '/new-page?ref=mail');
  await expect('/promo', 302, '/sale');
  await expect('/blog/2024/hello', 301, '/news/2024/hello');
  await expect('/blog', 301, '/news/');
  await expect('/shop/cart?id=3', 308, 'https://shop.example.com/cart?id=3');
  await expect('/index.html', 307, '/moved-home');
  const head = await rawRequest(port, '/promo', { method: 'HEAD' });
  assert.equal(head.status, 302);
  assert.equal(head.headers.location, '/sale');

  assert.equal((await rawRequest(port, '/')).text, 'home', 'a path no rule names is served as before');
  assert.equal((await rawRequest(port, '/new-page.html')).text, 'new');
  assert.equal((await rawRequest(port, '/_redirects')).status, 404, 'the rules are never served as a file');
});

test('a request path cannot turn a site-relative target into another host', async (t) => {
  const root = await tempSiteDir(t, { 'index.html': 'home', '_redirects': '/go/* /:splat' });
  const port = await startWebServer(t, [{ domains: [], root }]);
  for (const p of ['/go//evil.example', '/go/%2F%2Fevil.example', '/go/.//evil.example']) {
    const res = await rawRequest(port, p);
    assert.equal(res.status, 301, p);
    assert.equal(res.headers.location, '/evil.example', p);
  }
  assert.equal((await rawRequest(port, '/go/%5Cevil.example')).status, 404, 'a backslash is refused before any rule');
});

test('a bad or symlinked _redirects is logged and the site is served without redirects', async (t) => {
  const bad = await tempSiteDir(t, { 'index.html': 'home', '_redirects': '/a /b 200' });
  const linked = await tempSiteDir(t, { 'index.html': 'home', 'rules.txt': '/a /b' });
  await fs.symlink('rules.txt', path.join(linked, '_redirects'));
  for (const root of [bad, linked]) {
    const logs = captureLog();
    const server = buildWebServer({ sites: [{ domains: [], root }], log: logs.log });
    t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const port = await listenOn(server, 0, '127.0.0.1');
    assert.equal((await rawRequest(port, '/a')).status, 404, root);
    assert.equal((await rawRequest(port, '/')).text, 'home');
    assert.equal(logs.events('redirects_refused').length, 1, 'logged once');
  }
});

test('table mode: each site its own rules, read once per release; a new release brings its own', async (t) => {
  const dir = await tempSiteDir(t, {
    'r1/index.html': 'a1', 'r1/_redirects': '/x /from-v1',
    'r2/index.html': 'a2', 'r2/_redirects': '/x /from-v2',
    'rb/index.html': 'b',
  });
  const file = path.join(dir, 'table.json');
  const write = async (version: number, root: string) => {
    const sites = [{ site: 'a', release: root, domains: ['a.test'], root }, { site: 'b', release: 'v1', domains: ['b.test'], root: 'rb' }];
    await fs.writeFile(`${file}.tmp`, JSON.stringify({ version, sites }));
    await fs.rename(`${file}.tmp`, file);
  };
  await write(1, 'r1');
  const { port } = await startTableServer(t, file, { pollMs: 50, statusKey: 'k' });
  const x = (host: string) => rawRequest(port, '/x', { headers: { host } });
  assert.equal((await x('a.test')).headers.location, '/from-v1');
  assert.equal((await x('b.test')).status, 404, 'another site of the pool has no rules');
  // the rules were read when the release was loaded: changing the file in place changes nothing (a release is immutable)
  await fs.writeFile(path.join(dir, 'r1/_redirects'), '/x /changed');
  await write(2, 'r1');
  await waitFor(async () => JSON.parse((await rawRequest(port, '/.corral/sites', { headers: { [STATUS_KEY_HEADER]: 'k' } })).text).version === 2, { what: 'table 2' });
  assert.equal((await x('a.test')).headers.location, '/from-v1');
  await write(3, 'r2');
  await waitFor(async () => (await x('a.test')).headers.location === '/from-v2', { what: 'release r2 rules' });
});
