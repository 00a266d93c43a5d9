import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { waitFor } from '../lib/wait.ts';
import { routerMetricsRegistry } from './metrics.ts';
import { captureLog, deadEndpoint, FRONTS, rawRequest, route, startBackend, startRouter } from './testing.ts';

// Every case runs on the plain listener and on the HTTPS one (HTTP/1.1, the raw front after the handshake).

for (const kind of FRONTS) {
  test(`each proxied request writes one JSON access line with its site, upstream, timings and retries (${kind})`, async (t) => {
    const b = await startBackend(t, 'b', (req, res) => {
      req.resume();
      res.end('x'.repeat(100));
    });
    const dead = await deadEndpoint('dead');
    const { log, events } = captureLog();
    const r = await startRouter(t, [route('s', ['s.test'], [dead, b])], { accessLog: log }, kind);
    await r.send({ host: 's.test', path: '/a?b=1' });
    await r.send({ host: 's.test', method: 'POST', body: 'hello' });
    await waitFor(() => events('access').length === 2, { what: 'two access lines' });
    const [first, second] = events('access');
    assert.equal(first!.site, 's');
    assert.equal(first!.method, 'GET');
    assert.equal(first!.path, '/a?b=1');
    assert.equal(first!.host, 's.test');
    assert.equal(first!.status, 200);
    assert.equal(first!.upstream, `127.0.0.1:${b.port}`);
    assert.equal(first!.retries, 1, 'the dead endpoint was tried first');
    assert.ok((first!.bytes as number) > 100, 'body and headers');
    assert.ok(typeof first!.totalMs === 'number' && typeof first!.upstreamMs === 'number');
    assert.ok((first!.upstreamMs as number) <= (first!.totalMs as number));
    assert.equal(second!.method, 'POST');
    assert.equal(second!.retries, 0, 'the dead endpoint is ejected now');
  });

  test(`an absolute-form request is logged and counted as the site its authority names, with that host and the origin-form path (${kind})`, async (t) => {
    const b = await startBackend(t, 'b');
    const { log, events } = captureLog();
    const r = await startRouter(t, [route('s', ['s.test'], [b]), route('o', ['other.test'], [b])], { accessLog: log }, kind);
    const finished: Array<[string, number]> = [];
    r.router.onFinished((site, status) => finished.push([site, status]));
    assert.match(await rawRequest(r, 'GET http://other.test/cart?x=1 HTTP/1.1\r\nHost: s.test\r\n\r\n'), /^HTTP\/1.1 200 /);
    assert.match(await rawRequest(r, 'GET http://user@other.test/cart HTTP/1.1\r\nHost: s.test\r\n\r\n'), /^HTTP\/1.1 400 /);
    await waitFor(() => events('access').length === 2 && finished.length === 2, { what: 'two access lines and two ends' });
    const [ok, refused] = events('access');
    assert.deepEqual([ok!.site, ok!.host, ok!.path, ok!.status], ['o', 'other.test', '/cart?x=1', 200]);
    // refused before it was made origin-form: logged as it came, for the site its Host names
    assert.deepEqual([refused!.site, refused!.host, refused!.path, refused!.status], ['s', 's.test', 'http://user@other.test/cart', 400]);
    assert.deepEqual(finished, [['o', 200], ['s', 400]]);
  });

  test(`Prometheus series per site and endpoint: requests by status class, upstream time, retries (${kind})`, async (t) => {
    const b = await startBackend(t, 'b');
    const dead = await deadEndpoint('dead');
    const r = await startRouter(t, [route(`metrics-${kind}`, ['m.test'], [dead, b])], { metrics: true }, kind);
    for (let i = 0; i < 3; i++) assert.equal((await r.send({ host: 'm.test' })).status, 200);
    const text = await routerMetricsRegistry.metrics();
    const ep = `127.0.0.1:${b.port}`;
    assert.match(text, new RegExp(`corral_router_upstream_requests_total\\{site="metrics-${kind}",endpoint="${ep}",code="2xx"\\} 3`));
    assert.match(text, new RegExp(`corral_router_upstream_duration_seconds_count\\{site="metrics-${kind}",endpoint="${ep}"\\} 3`));
    assert.match(text, new RegExp(`corral_router_retries_total\\{site="metrics-${kind}"\\} 1`));
  });

  test(`corral_router_active_connections follows client connections opening and closing (${kind})`, async (t) => {
    const b = await startBackend(t, 'b');
    const r = await startRouter(t, [route('conn-site', ['c.test'], [b])], { metrics: true }, kind);
    const gauge = async () => Number(/^corral_router_active_connections (\d+)$/m.exec(await routerMetricsRegistry.metrics())?.[1]);
    // Routers of the earlier tests are destroyed; their connections close soon after.
    await waitFor(async () => (await gauge()) === 0, { what: 'no connections left from earlier tests' });
    const base = 0;
    const sockets = await Promise.all([1, 2, 3].map(() => new Promise<Socket>((ok) => {
      const s = r.connect();
      s.once(r.kind === 'https' ? 'secureConnect' : 'connect', () => ok(s));
    })));
    await waitFor(async () => (await gauge()) === base + 3, { what: 'three open connections counted' });
    for (const s of sockets) s.destroy();
    await waitFor(async () => (await gauge()) === base, { what: 'closed connections uncounted' });
  });
}
