// A single-page app's fallback (spa-fallback.ts): a page path naming no file gets /index.html
// with 200; assets, refused paths and clients that take no HTML keep their 404. Also per site
// in table mode (a pool): the setting is one site's, and a new table changes it in place.

import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { waitFor } from '../lib/wait.ts';
import { rawRequest, startTableServer, startWebServer, tempSiteDir } from './testing.ts';
import { STATUS_KEY_HEADER } from './web-server.ts';

const APP = {
  'index.html': '<div id="app"></div>',
  'app.js': 'console.log(1)',
  'about/index.html': '<h1>about</h1>',
  '404.html': '<h1>lost</h1>',
  '.env': 'SECRET=1',
};
const HTML = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

test('spa on: a page path naming no file gets /index.html with 200 and its caching; a missing asset stays 404', async (t) => {
  const port = await startWebServer(t, [{ domains: [], root: await tempSiteDir(t, APP), spa: true }]);
  const index = await rawRequest(port, '/');
  for (const p of ['/deep/route', '/deep/route/', '/users/42?tab=posts', '/empty-dir-like/']) {
    const res = await rawRequest(port, p, { headers: { accept: HTML } });
    assert.equal(res.status, 200, p);
    assert.equal(res.text, '<div id="app"></div>', p);
    assert.equal(res.headers['content-type'], 'text/html; charset=utf-8', p);
    assert.equal(res.headers['cache-control'], 'public, max-age=0, must-revalidate', p);
    assert.equal(res.headers.etag, index.headers.etag, `${p}: index.html's own ETag`);
    assert.match(String(res.headers.vary), /\bAccept\b/, p);
  }
  assert.equal((await rawRequest(port, '/deep/route')).status, 200, 'no Accept header: a page');
  assert.equal((await rawRequest(port, '/deep/route', { headers: { accept: '*/*' } })).status, 200);
  const revalidated = await rawRequest(port, '/deep/route', { headers: { accept: HTML, 'if-none-match': index.headers.etag ?? '' } });
  assert.equal(revalidated.status, 304, 'revalidated as index.html is');

  const head = await rawRequest(port, '/deep/route', { method: 'HEAD', headers: { accept: HTML } });
  assert.equal(head.status, 200);
  assert.equal(head.text, '');
  assert.equal(head.headers['content-length'], String(Buffer.byteLength(APP['index.html'])));

  // files are themselves
  assert.equal((await rawRequest(port, '/app.js')).text, 'console.log(1)');
  assert.equal((await rawRequest(port, '/about/', { headers: { accept: HTML } })).text, '<h1>about</h1>');
  assert.equal((await rawRequest(port, '/about')).status, 301, 'a folder with its index still redirects to its slash form');

  // 404 as before: a missing asset, a client taking no HTML, a refused path, .well-known
  for (const [p, accept] of [['/missing.js', HTML], ['/img/x.png', HTML], ['/user/jo.doe', HTML], ['/api/users', 'application/json'], ['/page', 'text/html;q=0'], ['/.env', HTML], ['/.well-known/thing', HTML]] as const) {
    const res = await rawRequest(port, p, { headers: { accept } });
    assert.equal(res.status, 404, p);
    assert.equal(res.text, '<h1>lost</h1>', `${p}: the site's own 404 page`);
  }
});

test('spa off (the default): a page path naming no file is a 404', async (t) => {
  const port = await startWebServer(t, [{ domains: [], root: await tempSiteDir(t, APP) }]);
  const res = await rawRequest(port, '/deep/route', { headers: { accept: HTML } });
  assert.equal(res.status, 404);
  assert.equal(res.text, '<h1>lost</h1>');
});

test('spa on without an index.html: still a 404', async (t) => {
  const port = await startWebServer(t, [{ domains: [], root: await tempSiteDir(t, { 'app.js': 'x' }), spa: true }]);
  assert.equal((await rawRequest(port, '/deep/route')).status, 404);
});

test('table mode: spa is one site\'s setting, and a new table turns it on in place', async (t) => {
  const dir = await tempSiteDir(t, { 'ra/index.html': 'app a', 'rb/index.html': 'site b' });
  const file = path.join(dir, 'table.json');
  const write = async (version: number, aSpa: boolean) => {
    const sites = [{ site: 'a', release: 'v1', domains: ['a.test'], root: 'ra', ...(aSpa ? { spa: true } : {}) }, { site: 'b', release: 'v1', domains: ['b.test'], root: 'rb' }];
    await fs.writeFile(`${file}.tmp`, JSON.stringify({ version, sites }));
    await fs.rename(`${file}.tmp`, file);
  };
  await write(1, false);
  const { port } = await startTableServer(t, file, { pollMs: 50, statusKey: 'k' });
  const deep = (host: string) => rawRequest(port, '/deep/route', { headers: { host, accept: HTML } });
  assert.equal((await deep('a.test')).status, 404);
  await write(2, true);
  await waitFor(async () => JSON.parse((await rawRequest(port, '/.corral/sites', { headers: { [STATUS_KEY_HEADER]: 'k' } })).text).version === 2, { what: 'table 2 loaded' });
  const a = await deep('a.test');
  assert.equal(a.status, 200);
  assert.equal(a.text, 'app a');
  assert.equal((await deep('b.test')).status, 404, 'the other site of the pool is unaffected');
});
