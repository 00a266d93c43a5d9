// The web runtime serving examples/static-site, as a static site's VS would.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { rawRequest, startWebServer } from './testing.ts';

const EXAMPLE = fileURLToPath(new URL('../../examples/static-site/', import.meta.url));

test('serves examples/static-site: home, about, assets and its 404 page', async (t) => {
  const port = await startWebServer(t, [{ domains: ['example.test'], root: EXAMPLE }]);
  const home = await rawRequest(port, '/');
  assert.equal(home.status, 200);
  assert.match(home.text, /<h1>Corral static example<\/h1>/);
  assert.equal((await rawRequest(port, '/about')).headers.location, '/about/');
  assert.match((await rawRequest(port, '/about/')).text, /About this example/);
  assert.equal((await rawRequest(port, '/style.css')).headers['content-type'], 'text/css; charset=utf-8');
  assert.equal((await rawRequest(port, '/logo.svg')).headers['content-type'], 'image/svg+xml; charset=utf-8');
  const missing = await rawRequest(port, '/no-such-page');
  assert.equal(missing.status, 404);
  assert.match(missing.text, /got out of the corral/);
});
