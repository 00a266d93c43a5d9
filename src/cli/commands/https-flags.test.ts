// The HTTPS policy flags of `corral site create` and `corral site set`, through the real
// CLI against a controller: --https-redirect on create, --hsts with its units, the
// subdomain and preload flags merged into the stored setting, --hsts off, and the refusals
// (a bad max-age, sub-flags with HSTS off, the API's preload rule).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startCliHarness, type CliRun } from '../cli-testing.ts';
import { maxAgeSeconds } from './https-flags.ts';

const ok = (r: CliRun): CliRun => {
  assert.equal(r.code, 0, `corral failed: ${r.out}\n${r.err}`);
  return r;
};

test('--hsts max-age: seconds or s/m/h/d/w/y; anything else refused', () => {
  assert.deepEqual(['600', '600s', '30m', '12h', '180d', '26w', '1y', '2y'].map(maxAgeSeconds), [600, 600, 1_800, 43_200, 15_552_000, 15_724_800, 31_536_000, 63_072_000]);
  for (const bad of ['', '1.5y', '-1', '1 year', 'y', '10x']) assert.throws(() => maxAgeSeconds(bad), /--hsts must be a max-age such as 1y/, bad);
});

test('site create and set: HTTPS redirect and HSTS flags, merged on set; off turns HSTS off', async (t) => {
  const h = await startCliHarness(t);
  const acme = await h.customer('acme');
  const site = async () => (await acme.get('/v1/sites/blog')).json.site as { httpsRedirect?: boolean; hsts?: object };

  ok(await h.corral(['site', 'create', 'blog', '--customer', 'acme', '--domain', 'blog.example.com', '--https-redirect', 'on', '--hsts', '180d']));
  assert.deepEqual([(await site()).httpsRedirect, (await site()).hsts], [true, { maxAgeSeconds: 15_552_000 }]);

  ok(await h.corral(['site', 'set', 'blog', '--hsts-subdomains', 'on']));
  assert.deepEqual((await site()).hsts, { maxAgeSeconds: 15_552_000, includeSubDomains: true }, 'merged into the stored setting');
  ok(await h.corral(['site', 'set', 'blog', '--hsts', '1y', '--hsts-preload', 'on']));
  assert.deepEqual((await site()).hsts, { maxAgeSeconds: 31_536_000, includeSubDomains: true, preload: true });
  const shown = ok(await h.corral(['site', 'show', 'blog']));
  assert.match(shown.out, /hsts\s+max-age 31536000s, includeSubDomains, preload/);

  const preloadShort = await h.corral(['site', 'set', 'blog', '--hsts', '30d']);
  assert.equal(preloadShort.code, 1, 'the API refuses preload under a year');
  assert.match(preloadShort.err, /preload needs includeSubDomains and maxAgeSeconds of at least 31536000/);

  ok(await h.corral(['site', 'set', 'blog', '--hsts', 'off']));
  assert.equal((await site()).hsts, undefined);
  const noAge = await h.corral(['site', 'set', 'blog', '--hsts-subdomains', 'on']);
  assert.equal(noAge.code, 1);
  assert.match(noAge.err, /HSTS is off for this site: give --hsts <max-age>/);
  const badAge = await h.corral(['site', 'set', 'blog', '--hsts', 'forever']);
  assert.equal(badAge.code, 1);
  assert.match(badAge.err, /--hsts must be a max-age such as 1y/);
  const badRedirect = await h.corral(['site', 'create', 'shop', '--customer', 'acme', '--domain', 'shop.example.com', '--https-redirect', 'yes']);
  assert.equal(badRedirect.code, 1);
  assert.match(badRedirect.err, /--https-redirect must be on or off/);
});
