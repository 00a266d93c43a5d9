import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FRONTS, h2Open, h2Reply, h2Session, route, startBackend, startRouter } from './testing.ts';

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

  test(`a request target that is neither a path nor an absolute http(s) URL of a host gets a 400 (${kind})`, async (t) => {
    const shop = await startBackend(t, 'shop');
    const r = await startRouter(t, [route('shop', ['shop.example.com'], [shop])], {}, kind);
    for (const path of ['http://user@shop.example.com/', 'ftp://shop.example.com/']) {
      const reply = await r.send({ host: 'shop.example.com', path });
      assert.equal(reply.status, 400, path);
    }
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

// HTTP/2: the Host is `:authority` (a `host` header only without it), and the two must agree.

test('over HTTP/2, a host header beside :authority is the Host routed and the one forwarded (h2load and nghttp send both for -H host)', async (t) => {
  const [shop, app] = await Promise.all([startBackend(t, 'shop'), startBackend(t, 'app')]);
  const r = await startRouter(t, [route('shop', ['shop.alpha.test'], [shop]), route('app', ['app.beta.test'], [app])], {}, 'https');
  const session = h2Session(t, r);
  const both = await h2Reply(h2Open(session, { host: '127.0.0.1:8443', headers: { host: 'shop.alpha.test' } }));
  assert.equal(both.status, 200);
  assert.equal(both.body.toString(), 'shop');
  const other = await h2Reply(h2Open(session, { host: 'shop.alpha.test', headers: { host: 'app.beta.test' } }));
  assert.equal(other.body.toString(), 'app', 'what a client could ask for with :authority alone');
  const alone = await h2Reply(h2Open(session, { host: 'shop.alpha.test:8443' }));
  assert.equal(alone.status, 200);
  const noAuthority = await h2Reply(session.request({ ':path': '/', host: 'app.beta.test' }, { endStream: true }));
  assert.equal(noAuthority.body.toString(), 'app');
  assert.deepEqual(shop.seen.map((s) => s.headers.host), ['shop.alpha.test', 'shop.alpha.test:8443']);
  assert.deepEqual(app.seen.map((s) => s.headers.host), ['app.beta.test', 'app.beta.test']);
});

test('over HTTP/2, a :authority (or a lone host header) that is not host[:port] gets 400; an unknown one 404, each with nosniff', async (t) => {
  const shop = await startBackend(t, 'shop');
  const r = await startRouter(t, [route('shop', ['shop.alpha.test'], [shop])], {}, 'https');
  const session = h2Session(t, r);
  // nghttp2 itself resets a stream whose :authority or host has a character no authority may have (a space, `/`, `<`)
  for (const authority of ['a,b', 'app.beta.test@shop.alpha.test', 'shop.alpha.test:abc', 'a%2fb']) {
    const reply = await h2Reply(h2Open(session, { host: authority }));
    assert.equal(reply.status, 400, authority);
    assert.equal(reply.headers['x-content-type-options'], 'nosniff', authority);
    assert.ok(!reply.body.toString().includes(authority), `${authority}: not echoed`);
  }
  for (const host of ['a,b', 'app.beta.test@shop.alpha.test']) {
    const reply = await h2Reply(session.request({ ':path': '/', host }, { endStream: true }));
    assert.equal(reply.status, 400, host);
    assert.ok(!reply.body.toString().includes(host), `${host}: not echoed`);
  }
  const unknown = await h2Reply(h2Open(session, { host: 'nobody.test' }));
  assert.equal(unknown.status, 404);
  assert.equal(unknown.headers['x-content-type-options'], 'nosniff');
  assert.equal(shop.seen.length, 0);
});

test('over HTTP/2, CONNECT gets 501 (the router is no forward proxy)', async (t) => {
  const shop = await startBackend(t, 'shop');
  const r = await startRouter(t, [route('shop', ['shop.alpha.test'], [shop])], {}, 'https');
  const session = h2Session(t, r);
  const reply = await h2Reply(session.request({ ':method': 'CONNECT', ':authority': 'shop.alpha.test:443' }));
  assert.equal(reply.status, 501);
  assert.match(reply.body.toString(), /^CONNECT is not supported/);
  assert.match(String(reply.headers['x-corral-error-id']), /^[0-9a-f]{8}$/);
  assert.equal(shop.seen.length, 0);
});
