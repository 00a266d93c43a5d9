import assert from 'node:assert/strict';
import { test } from 'node:test';
import { keys, type Route } from '../model/index.ts';
import { startReconciler } from './reconciler.ts';
import { staticSite, startController } from './test-harness.ts';

const PAGE = '<h1>Back soon</h1>';

test('maintenance and error pages are set at creation and merged by PATCH; an empty page removes one', async (t) => {
  const h = await startController(t);
  const acme = await h.customer('acme');
  const created = await acme.post('/v1/sites', staticSite('www', { maintenance: { on: true, page: PAGE }, errorPages: { '502': '<p>502 {{errorId}}</p>' } }));
  assert.equal(created.status, 201, created.body);
  assert.deepEqual(created.json.site.maintenance, { on: true, page: PAGE });

  const off = await acme.patch('/v1/sites/www', { maintenance: { on: false, allowIps: ['203.0.113.7', '2001:DB8::/32'] }, errorPages: { '503': '<p>503</p>' } });
  assert.equal(off.status, 200, off.body);
  assert.deepEqual(off.json.site.maintenance, { on: false, page: PAGE, allowIps: ['203.0.113.7', '2001:db8::/32'] }, 'the page is kept for next time');
  assert.deepEqual(off.json.site.errorPages, { '502': '<p>502 {{errorId}}</p>', '503': '<p>503</p>' });

  const removed = await acme.patch('/v1/sites/www', { maintenance: { page: '', allowIps: [] }, errorPages: { '502': '', '503': '' } });
  assert.equal(removed.status, 200, removed.body);
  assert.deepEqual(removed.json.site.maintenance, { on: false });
  assert.equal(removed.json.site.errorPages, undefined);
  assert.deepEqual((await acme.get('/v1/sites/www')).json.site.maintenance, { on: false });
});

test('bad pages and addresses get a 400 naming the field, and nothing is stored', async (t) => {
  const h = await startController(t);
  const acme = await h.customer('acme');
  await acme.post('/v1/sites', staticSite('www'));
  const cases: Array<[unknown, RegExp]> = [
    [{ maintenance: { on: true, page: 'x'.repeat(65_537) } }, /body\.maintenance\.page must not have more than 65536 characters/],
    [{ maintenance: { on: true, page: '€'.repeat(22_000) } }, /body\.maintenance\.page is 66000 bytes of UTF-8; a page may be at most 65536 \(64 KiB\)/],
    [{ errorPages: { '502': 'é'.repeat(40_000) } }, /body\.errorPages\[502\] is 80000 bytes/],
    [{ errorPages: { '404': PAGE } }, /body\.errorPages\[404\]: the router answers a site only with 400, 413, 429, 431, 502, 503, 504.*404\.html/],
    [{ errorPages: { oops: PAGE } }, /body\.errorPages has unknown field "oops"/],
    [{ errorPages: { '502': 42 } }, /body\.errorPages\[502\] must be string/],
    [{ maintenance: { on: true, allowIps: ['10.0.0.1', 'localhost'] } }, /body\.maintenance\.allowIps\[1\] "localhost" must be an IP address/],
    [{ maintenance: { on: true, allowIps: ['10.0.0.0/33'] } }, /allowIps\[0\] "10\.0\.0\.0\/33"/],
    [{ maintenance: { on: 'yes' } }, /body\.maintenance\.on/],
    [{ maintenance: { on: true, colour: 'red' } }, /body\.maintenance has unknown field "colour"/],
  ];
  for (const [body, message] of cases) {
    const res = await acme.patch('/v1/sites/www', body);
    assert.equal(res.status, 400, JSON.stringify(body).slice(0, 80));
    assert.equal(res.json.error.code, 'invalid_request');
    assert.match(res.json.error.message, message);
  }
  const site = (await acme.get('/v1/sites/www')).json.site;
  assert.equal(site.maintenance, undefined);
  assert.equal(site.errorPages, undefined);
  const big = await acme.post('/v1/sites', staticSite('big', { errorPages: { '503': '€'.repeat(22_000) } }));
  assert.equal(big.status, 400, 'also at creation');
});

test("another customer can neither see nor set a site's maintenance", async (t) => {
  const h = await startController(t);
  const acme = await h.customer('acme');
  const globex = await h.customer('globex');
  await acme.post('/v1/sites', staticSite('www'));
  const res = await globex.patch('/v1/sites/www', { maintenance: { on: true, page: '<h1>pwned</h1>' }, errorPages: { '502': 'x' } });
  assert.equal(res.status, 404);
  assert.equal(res.json.error.code, 'not_found');
  const site = (await acme.get('/v1/sites/www')).json.site;
  assert.equal(site.maintenance, undefined);
  assert.equal(site.errorPages, undefined);
  assert.equal((await h.admin.patch('/v1/sites/www', { maintenance: { on: true } })).status, 200, 'an admin may');
});

test('the route carries maintenance (only while on) and the error pages; one reconcile pass updates it, no redeploy', async (t) => {
  const h = await startController(t);
  const acme = await h.customer('acme');
  await acme.post('/v1/sites', staticSite('www', { errorPages: { '502': '<p>502</p>' } }));
  const rec = await startReconciler({ store: h.store, tickMs: 60_000 });
  t.after(() => rec.close());
  const routeNow = async () => JSON.parse((await h.store.get(keys.route('www')))!.value) as Route;

  await rec.runOnce();
  assert.deepEqual((await routeNow()).errorPages, { '502': '<p>502</p>' });
  assert.equal((await routeNow()).maintenance, undefined);

  await acme.patch('/v1/sites/www', { maintenance: { on: true, page: PAGE, allowIps: ['127.0.0.1'] } });
  const on = await rec.runOnce();
  assert.deepEqual(on.create, [], 'no new virtual servers');
  assert.deepEqual((await routeNow()).maintenance, { on: true, page: PAGE, allowIps: ['127.0.0.1'] });
  assert.deepEqual((await rec.runOnce()).putRoutes, [], 'an unchanged route is not written again');

  await acme.patch('/v1/sites/www', { maintenance: { on: false } });
  await rec.runOnce();
  assert.equal((await routeNow()).maintenance, undefined, 'off: the route no longer carries it');
});

test('the status view lists which pages a site has, never their HTML', async (t) => {
  const h = await startController(t);
  const acme = await h.customer('acme');
  const big = `<p>${'x'.repeat(60_000)}</p>`;
  await acme.post('/v1/sites', staticSite('www', { maintenance: { on: true, page: big, allowIps: ['203.0.113.7'] }, errorPages: { '502': big } }));
  const site = (await acme.get('/v1/status')).json.sites.find((s: { name: string }) => s.name === 'www');
  assert.deepEqual(site.maintenance, { on: true, page: '', allowIps: ['203.0.113.7'] });
  assert.deepEqual(site.errorPages, { '502': '' });
  assert.equal((await acme.get('/v1/sites/www')).json.site.maintenance.page, big, 'the site itself still has its page');
});
