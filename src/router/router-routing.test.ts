import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FRONTS, route, startBackend, startRouter } from './testing.ts';

// Every case runs on the plain listener and on the HTTPS one (HTTP/1.1, the raw front after the handshake).

for (const kind of FRONTS) {
  test(`routes by exact host, then the most specific wildcard (${kind})`, async (t) => {
    const [shop, wild, deep] = await Promise.all([startBackend(t, 'shop'), startBackend(t, 'wild'), startBackend(t, 'deep')]);
    const r = await startRouter(t, [
      route('shop', ['shop.example.com'], [shop]),
      route('wild', ['*.example.com'], [wild]),
      route('deep', ['*.eu.example.com'], [deep]),
    ], {}, kind);
    assert.equal((await r.send({ host: 'shop.example.com' })).body, 'shop');
    assert.equal((await r.send({ host: 'SHOP.Example.com.:80' })).body, 'shop');
    assert.equal((await r.send({ host: 'blog.example.com' })).body, 'wild');
    assert.equal((await r.send({ host: 'x.eu.example.com' })).body, 'deep');
  });

  test(`an unknown host gets a 404 naming the host, never another site (${kind})`, async (t) => {
    const shop = await startBackend(t, 'shop');
    const r = await startRouter(t, [route('shop', ['shop.example.com'], [shop])], {}, kind);
    const reply = await r.send({ host: 'nobody.example.org' });
    assert.equal(reply.status, 404);
    assert.match(reply.body, /^No site is configured for host nobody\.example\.org\n/);
    assert.match(reply.body, /error id: [0-9a-f]{8}/);
    assert.equal(reply.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal(shop.seen.length, 0);
  });

  test(`a site without endpoints gets a 503 with Retry-After (its servers may be starting) (${kind})`, async (t) => {
    const r = await startRouter(t, [route('empty', ['empty.example.com'], [])], {}, kind);
    const reply = await r.send({ host: 'empty.example.com' });
    assert.equal(reply.status, 503);
    assert.equal(reply.headers['retry-after'], '1');
    assert.match(reply.body, /^no healthy endpoint for site empty\n/);
  });

  test(`a request target that is not a path gets a 400 (${kind})`, async (t) => {
    const shop = await startBackend(t, 'shop');
    const r = await startRouter(t, [route('shop', ['shop.example.com'], [shop])], {}, kind);
    const reply = await r.send({ host: 'shop.example.com', path: 'http://shop.example.com/' });
    assert.equal(reply.status, 400);
    assert.equal(shop.seen.length, 0);
  });

  test(`setRoutes replaces the whole table (${kind})`, async (t) => {
    const [a, b] = await Promise.all([startBackend(t, 'a'), startBackend(t, 'b')]);
    const r = await startRouter(t, [route('a', ['a.test'], [a])], {}, kind);
    assert.equal((await r.send({ host: 'a.test' })).body, 'a');
    r.router.setRoutes([route('b', ['b.test'], [b])]);
    assert.equal((await r.send({ host: 'a.test' })).status, 404);
    assert.equal((await r.send({ host: 'b.test' })).body, 'b');
  });
}
