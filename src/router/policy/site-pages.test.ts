import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request, type IncomingMessage } from 'node:http';
import type { Maintenance, Route } from '../../model/index.ts';
import { customErrorPage, maintenanceReply } from './site-pages.ts';
import { route, startBackend, startRouter } from '../testing.ts';

const PAGE = '<!doctype html><h1>Back soon</h1>';

function inMaintenance(r: Route, m: Partial<Maintenance> = {}): Route {
  return { ...r, maintenance: { on: true, ...m } };
}

/** An upgrade request; resolves with the plain response when the router refuses it. */
function upgrade(port: number, host: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, headers: { host, connection: 'upgrade', upgrade: 'websocket' } });
    req.on('upgrade', (res, socket) => (socket.destroy(), resolve(res)));
    req.on('response', resolve);
    req.on('error', reject);
    req.end();
  });
}

async function readAll(res: IncomingMessage): Promise<string> {
  let body = '';
  for await (const c of res) body += String(c);
  return body;
}

test('a site in maintenance answers 503 with its page, for requests and upgrades, and never reaches its backend', async (t) => {
  const b = await startBackend(t, 'www');
  const other = await startBackend(t, 'other');
  const r = await startRouter(t, [inMaintenance(route('www', ['www.test'], [b]), { page: PAGE }), route('other', ['other.test'], [other])]);

  const reply = await r.send({ host: 'www.test', path: '/any/path' });
  assert.equal(reply.status, 503);
  assert.equal(reply.body, PAGE);
  assert.equal(reply.headers['retry-after'], '120');
  assert.equal(reply.headers['content-type'], 'text/html; charset=utf-8');
  assert.equal(reply.headers['cache-control'], 'no-store');
  assert.equal(reply.headers['x-content-type-options'], 'nosniff');
  assert.equal((await r.send({ host: 'www.test', method: 'POST', body: 'x=1' })).status, 503);

  const up = await upgrade(r.port, 'www.test');
  assert.equal(up.statusCode, 503);
  assert.equal(up.headers['retry-after'], '120');
  assert.equal(up.headers['x-content-type-options'], 'nosniff');
  assert.equal(await readAll(up), PAGE);

  assert.equal(b.seen.length, 0, 'nothing reached the site');
  assert.equal((await r.send({ host: 'other.test' })).body, 'other', 'other sites are served as usual');
});

test('the default maintenance page names only the domain asked for, and shows with no endpoint at all', async (t) => {
  const r = await startRouter(t, [inMaintenance(route('shop', ['shop.test', 'secret-brand.test', '*.shop.test'], []))]);
  for (const host of ['shop.test', 'EU.Shop.Test:80']) {
    const reply = await r.send({ host });
    assert.equal(reply.status, 503);
    assert.match(reply.body, new RegExp(`<title>${host.toLowerCase().replace(/:80$/, '').replace(/\./g, '\\.')} is down for maintenance`));
    assert.doesNotMatch(reply.body, /secret-brand|ROUTER_NO_ENDPOINT|shop\b(?!\.test)/, 'no other domain, no site name, no endpoint error');
  }
});

test('clients in allowIps still reach a site in maintenance; the others get the page', async (t) => {
  const b = await startBackend(t, 'www');
  const r = await startRouter(t, [inMaintenance(route('www', ['www.test'], [b]), { page: PAGE, allowIps: ['203.0.113.9', '127.0.0.0/8'] })]);
  const reply = await r.send({ host: 'www.test' });
  assert.equal(reply.status, 200);
  assert.equal(reply.body, 'www');

  r.router.setRoutes([inMaintenance(route('www', ['www.test'], [b]), { page: PAGE, allowIps: ['203.0.113.9', '::1'] })]);
  assert.equal((await r.send({ host: 'www.test' })).status, 503, '127.0.0.1 is not in the list any more');
  assert.equal(b.seen.length, 1);
});

test('allowIps is matched on the socket peer, or behind a trusted proxy on the client it names', async (t) => {
  const b = await startBackend(t, 'www');
  const site = inMaintenance(route('www', ['www.test'], [b]), { allowIps: ['198.51.100.7'] });
  const plain = await startRouter(t, [site]);
  assert.equal((await plain.send({ host: 'www.test', headers: { 'x-forwarded-for': '198.51.100.7' } })).status, 503, 'a client cannot claim an address');
  const otherProxy = await startRouter(t, [site], { trustedProxies: ['10.0.0.0/8'] });
  assert.equal((await otherProxy.send({ host: 'www.test', headers: { 'x-forwarded-for': '198.51.100.7' } })).status, 503, 'only a listed peer may');
  const behindProxy = await startRouter(t, [site], { trustedProxies: ['127.0.0.1'] });
  assert.equal((await behindProxy.send({ host: 'www.test', headers: { 'x-forwarded-for': '10.0.0.1, 198.51.100.7' } })).status, 200);
  assert.equal((await behindProxy.send({ host: 'www.test', headers: { 'x-forwarded-for': '198.51.100.7, 10.0.0.1' } })).status, 503);
  const twoProxies = await startRouter(t, [site], { trustedProxies: ['127.0.0.1', '10.0.0.0/8'] });
  assert.equal((await twoProxies.send({ host: 'www.test', headers: { 'x-forwarded-for': '198.51.100.7, 10.0.0.1' } })).status, 200, 'trusted hops are skipped');
});

test('turning maintenance off serves the site again at once', async (t) => {
  const b = await startBackend(t, 'www');
  const r = await startRouter(t, [inMaintenance(route('www', ['www.test'], [b]), { page: PAGE })]);
  assert.equal((await r.send({ host: 'www.test' })).status, 503);
  r.router.setRoutes([{ ...route('www', ['www.test'], [b]), maintenance: { on: false, page: PAGE } }]);
  assert.equal((await r.send({ host: 'www.test' })).body, 'www');
  r.router.setRoutes([route('www', ['www.test'], [b])]);
  assert.equal((await r.send({ host: 'www.test' })).body, 'www');
});

test("a site's own error pages replace the router's 502, 503 and 429, with the error id in the page and a header", async (t) => {
  const reset = await startBackend(t, 'reset', (req) => {
    req.resume();
    req.on('end', () => req.socket.destroy());
  });
  const errorPages = {
    '502': '<p>Broken gateway, quote {{errorId}} (again: {{errorId}})</p>',
    '503': '<p>Nobody home ({{errorId}})</p>',
    '429': '<p>Slow down</p>',
  };
  const r = await startRouter(t, [
    { ...route('www', ['www.test'], [reset]), errorPages },
    { ...route('idle', ['idle.test'], []), errorPages },
    { ...route('busy', ['busy.test'], [reset]), errorPages, limits: { requestsPerSecond: 1, burst: 1 } },
    route('plain', ['plain.test'], []),
  ]);

  const bad = await r.send({ host: 'www.test', method: 'POST', body: 'x' }); // reset mid-request, never retried
  assert.equal(bad.status, 502);
  const id = String(bad.headers['x-corral-error-id']);
  assert.match(id, /^[0-9a-f]{8}$/);
  assert.equal(bad.body, `<p>Broken gateway, quote ${id} (again: ${id})</p>`);
  assert.equal(bad.headers['content-type'], 'text/html; charset=utf-8');
  assert.equal(bad.headers['x-content-type-options'], 'nosniff', "the site's page is an error answer too");

  const none = await r.send({ host: 'idle.test' });
  assert.equal(none.status, 503);
  assert.equal(none.body, `<p>Nobody home (${String(none.headers['x-corral-error-id'])})</p>`);

  await r.send({ host: 'busy.test', method: 'POST', body: 'x' });
  const limited = await r.send({ host: 'busy.test' });
  assert.equal(limited.status, 429);
  assert.equal(limited.body, '<p>Slow down</p>');
  assert.ok(limited.headers['retry-after'], 'Retry-After kept');

  const plain = await r.send({ host: 'plain.test' });
  assert.equal(plain.status, 503);
  assert.equal(plain.headers['content-type'], 'text/plain; charset=utf-8', 'a site without pages gets the plain text');
  assert.match(plain.body, new RegExp(`error id: ${String(plain.headers['x-corral-error-id'])}`));

  const unknown = await r.send({ host: 'nobody.test' });
  assert.equal(unknown.status, 404);
  assert.doesNotMatch(unknown.body, /<p>/, "an unknown host never gets some site's page");
});

test('a backend answering an error status is relayed untouched, whatever pages the site has', async (t) => {
  const b = await startBackend(t, 'www', (_req, res) => res.writeHead(502, { 'content-type': 'text/plain' }).end('from the app'));
  const r = await startRouter(t, [{ ...route('www', ['www.test'], [b]), errorPages: { '502': '<p>router page</p>' } }]);
  const reply = await r.send({ host: 'www.test' });
  assert.equal(reply.status, 502);
  assert.equal(reply.body, 'from the app');
  assert.equal(reply.headers['x-corral-error-id'], undefined);
});

test('the pure functions: no maintenance → undefined; no page for a status → undefined; bad allowIps entries are ignored', () => {
  const r = route('s', ['s.test'], []);
  assert.equal(maintenanceReply(r, '127.0.0.1'), undefined);
  assert.equal(maintenanceReply({ ...r, maintenance: { on: false, page: PAGE } }, '127.0.0.1'), undefined);
  const on = inMaintenance(r, { allowIps: ['not-an-ip', '10.0.0.0/99', '2001:db8::/32'] });
  assert.equal(maintenanceReply(on, '127.0.0.1')?.status, 503);
  assert.equal(maintenanceReply(on, '2001:db8::5'), undefined);
  assert.equal(maintenanceReply(on, undefined)?.status, 503);
  assert.equal(customErrorPage(r, 502, 'abc'), undefined);
  assert.equal(customErrorPage(undefined, 502, 'abc'), undefined);
  assert.equal(customErrorPage({ ...r, errorPages: { '502': 'id=$&{{errorId}}' } }, 502, 'abc'), 'id=$&abc');
});
