import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { BALANCE_POLICIES, type Balance, type Route } from '../../model/index.ts';
import { Balancers, stickyId, STICKY_COOKIE } from './balance-policy.ts';
import { Ejections, endpointKey } from './ejections.ts';

function site(ports: number[], balance?: Balance): Route {
  const endpoints = ports.map((port) => ({ vs: `vs${port}`, address: '127.0.0.1', port, release: 'r1' }));
  return { site: 's', domains: ['s.test'], endpoints, updatedAt: '', ...(balance ? { balance } : {}) };
}

function req(o: { ip?: string; headers?: Record<string, string> } = {}): IncomingMessage {
  return { headers: o.headers ?? {}, socket: { remoteAddress: o.ip ?? '10.0.0.1' } } as unknown as IncomingMessage;
}

/** Varied requests, so key-based policies reach every endpoint too. */
const variedReq = (i: number) => req({ ip: `10.0.${i >> 8}.${i & 255}`, headers: { 'x-user': `u${i}`, cookie: `sid=s${i}` } });
const key = (port: number) => `127.0.0.1:${port}`;

/** One configuration per policy (hash once per thing hashed). */
const CONFIGS: Balance[] = [
  { policy: 'round-robin' },
  { policy: 'least-conn' },
  { policy: 'weighted', weights: { vs1: 3 } },
  { policy: 'sticky' },
  { policy: 'hash', hashOn: 'ip' },
  { policy: 'hash', hashOn: 'header', key: 'x-user' },
  { policy: 'hash', hashOn: 'cookie', key: 'sid' },
];

test('the contract suite runs against every policy the model names', () => {
  assert.deepEqual([...new Set(CONFIGS.map((c) => c.policy))].sort(), [...BALANCE_POLICIES].sort());
});

// The contract every policy keeps (one suite, run against each).
for (const balance of CONFIGS) {
  const name = `${balance.policy}${balance.hashOn ? `:${balance.hashOn}` : ''}`;

  test(`${name}: reaches every endpoint and only the route's`, () => {
    const b = new Balancers(new Ejections(3000));
    const route = site([1, 2, 3], balance);
    const seen = new Set<number>();
    for (let i = 0; i < 300; i++) {
      const ep = b.pick(route, undefined, variedReq(i))!.ep;
      assert.ok([1, 2, 3].includes(ep.port));
      seen.add(ep.port);
    }
    assert.deepEqual([...seen].sort(), [1, 2, 3]);
  });

  test(`${name}: never an endpoint this request already tried, while others are left`, () => {
    const b = new Balancers(new Ejections(3000));
    const route = site([1, 2, 3], balance);
    for (let i = 0; i < 50; i++) {
      const r = variedReq(i);
      const tried = new Set<string>();
      for (let n = 0; n < 3; n++) {
        const ep = b.pick(route, tried, r)!.ep;
        assert.ok(!tried.has(endpointKey(ep)));
        tried.add(endpointKey(ep));
      }
      assert.ok(b.pick(route, tried, r), 'all tried: starts over rather than failing');
    }
  });

  test(`${name}: skips ejected endpoints, and uses one when nothing else is left`, () => {
    const ejections = new Ejections(3000);
    const b = new Balancers(ejections);
    const route = site([1, 2], balance);
    ejections.eject(key(1));
    for (let i = 0; i < 50; i++) assert.equal(b.pick(route, undefined, variedReq(i))!.ep.port, 2);
    ejections.eject(key(2));
    assert.ok(b.pick(route, undefined, variedReq(0)));
    assert.equal(b.pick(site([], balance), undefined, req()), undefined);
  });
}

test('round robin spreads evenly; weighted follows the weights, interleaved', () => {
  const b = new Balancers(new Ejections(3000));
  const count = (route: Route, n: number) => {
    const c = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      const p = b.pick(route, undefined, req())!.ep.port;
      c.set(p, (c.get(p) ?? 0) + 1);
    }
    return c;
  };
  assert.deepEqual([...count(site([1, 2]), 10)].sort(), [[1, 5], [2, 5]]);
  const weighted = site([1, 2], { policy: 'weighted', weights: { vs1: 3 } });
  assert.deepEqual([...count(weighted, 40)].sort(), [[1, 30], [2, 10]]);
  const order = Array.from({ length: 4 }, () => b.pick(weighted, undefined, req())!.ep.port);
  assert.deepEqual(order.filter((p) => p === 2).length, 1, 'one share of four, not bunched up');
});

test('least connections picks the endpoint with the fewest requests in flight', () => {
  const b = new Balancers(new Ejections(3000));
  const route = site([1, 2, 3], { policy: 'least-conn' });
  b.inFlight.add(key(1));
  b.inFlight.add(key(1));
  b.inFlight.add(key(2));
  assert.equal(b.pick(route, undefined, req())!.ep.port, 3);
  b.inFlight.add(key(3));
  b.inFlight.add(key(3));
  assert.equal(b.pick(route, undefined, req())!.ep.port, 2);
  b.inFlight.done(key(1));
  b.inFlight.done(key(1));
  assert.equal(b.pick(route, undefined, req())!.ep.port, 1);
});

test('sticky: a request without the cookie gets one, and the cookie keeps it on its endpoint', () => {
  const b = new Balancers(new Ejections(3000));
  const route = site([1, 2, 3], { policy: 'sticky' });
  const first = b.pick(route, undefined, req())!;
  assert.match(first.setCookie!, new RegExp(`^${STICKY_COOKIE}=${stickyId(first.ep)}; Path=/; HttpOnly`));
  assert.doesNotMatch(first.setCookie!, /127\.0\.0\.1|vs\d/, 'the cookie leaks no address or VS name');
  const cookie = `${STICKY_COOKIE}=${stickyId(first.ep)}`;
  for (let i = 0; i < 20; i++) {
    const again = b.pick(route, undefined, req({ headers: { cookie: `a=1; ${cookie}` } }))!;
    assert.equal(again.ep.port, first.ep.port);
    assert.equal(again.setCookie, undefined);
  }
  const gone = site([1, 2, 3].filter((p) => p !== first.ep.port), { policy: 'sticky' });
  const moved = b.pick(gone, undefined, req({ headers: { cookie } }))!;
  assert.notEqual(moved.ep.port, first.ep.port);
  assert.ok(moved.setCookie, 'a new cookie once the old endpoint is gone');
});

test('consistent hashing: a key keeps its endpoint; removing one endpoint moves only its keys', () => {
  const b = new Balancers(new Ejections(3000));
  const before = site([1, 2, 3, 4], { policy: 'hash', hashOn: 'header', key: 'x-user' });
  const after = site([1, 2, 4], { policy: 'hash', hashOn: 'header', key: 'x-user' });
  let moved = 0;
  for (let i = 0; i < 400; i++) {
    const r = req({ headers: { 'x-user': `user-${i}` } });
    const a = b.pick(before, undefined, r)!.ep.port;
    assert.equal(b.pick(before, undefined, r)!.ep.port, a, 'same key, same endpoint');
    const c = b.pick(after, undefined, r)!.ep.port;
    if (a !== 3) assert.equal(c, a, 'keys of the endpoints that stayed do not move');
    else moved++;
  }
  assert.ok(moved > 50 && moved < 150, `about a quarter of the keys were on the removed endpoint (${moved})`);
});
