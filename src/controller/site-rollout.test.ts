// When a site's status calls its rollout done: as many servers ready as it wants that run what
// it says now (release, command, environment, health path, start deadline, database login), and
// the route serves only such servers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Assignment, Route, Site, VirtualServerView } from '../model/index.ts';
import { farmRollouts, siteRollout } from './site-rollout.ts';

const shop: Site = { id: '0a', name: 'shop', customer: 'acme', domains: ['shop.test'], kind: 'app', replicas: 2, command: 'node server.js', healthPath: '/health', env: { A: '1' }, release: 'v2', createdAt: '', updatedAt: '' };
const view = (vs: string, release: string, over: Partial<VirtualServerView> = {}): VirtualServerView =>
  ({ vs, engine: 'e1', site: 'shop', siteId: '0a', release, assigned: true, state: 'ready', ...over });
const assignment = (vs: string, release: string, over: Partial<Assignment> = {}): Assignment =>
  ({ vs, engine: 'e1', site: 'shop', siteId: '0a', customer: 'acme', kind: 'app', release, sha256: '0'.repeat(64), command: 'node server.js', healthPath: '/health', env: { A: '1' }, domains: [], createdAt: '', ...over });
const routeOf = (...endpoints: [string, string][]): Route =>
  ({ site: 'shop', domains: ['shop.test'], endpoints: endpoints.map(([vs, release]) => ({ vs, address: '127.0.0.1', port: 1, release })), updatedAt: '' });

/** The site's servers, each `[view, assignment]`, and what siteRollout makes of them. */
function rollout(site: Site, servers: [VirtualServerView, Assignment?][], route: Route | undefined, login?: string) {
  const assignments = new Map(servers.flatMap(([, a]) => (a ? [[a.vs, a] as const] : [])));
  const r = siteRollout(site, servers.map(([v]) => v), assignments, route, site.replicas, login);
  return { current: r.virtualServers.filter((v) => v.current).map((v) => v.vs), ...r.rollout };
}

test('a deploy: the new release\'s servers are current; done once they are ready and the only ones routed', () => {
  const old: [VirtualServerView, Assignment][] = [[view('shop-1', 'v1'), assignment('shop-1', 'v1')], [view('shop-2', 'v1'), assignment('shop-2', 'v1')]];
  const starting: [VirtualServerView, Assignment][] = [[view('shop-3', 'v2', { state: 'starting' }), assignment('shop-3', 'v2')], [view('shop-4', 'v2'), assignment('shop-4', 'v2')]];
  assert.deepEqual(rollout(shop, [...old, ...starting], routeOf(['shop-1', 'v1'], ['shop-2', 'v1'])), { current: ['shop-3', 'shop-4'], ready: 1, done: false });
  const ready: [VirtualServerView, Assignment][] = starting.map(([v, a]) => [{ ...v, state: 'ready' }, a]);
  assert.deepEqual(rollout(shop, [...old, ...ready], routeOf(['shop-1', 'v1'], ['shop-2', 'v1'])), { current: ['shop-3', 'shop-4'], ready: 2, done: false }, 'ready, not yet routed');
  assert.deepEqual(rollout(shop, [...old, ...ready], routeOf(['shop-3', 'v2'], ['shop-4', 'v2'])), { current: ['shop-3', 'shop-4'], ready: 2, done: true });
});

test('a new environment keeps the release: servers started with the old one are not current, and the route must leave them', () => {
  const site = { ...shop, env: { A: '2' } };
  const old: [VirtualServerView, Assignment][] = [[view('shop-1', 'v2'), assignment('shop-1', 'v2')], [view('shop-2', 'v2'), assignment('shop-2', 'v2')]];
  const crashing: [VirtualServerView, Assignment][] = ['shop-3', 'shop-4'].map((vs) => [view(vs, 'v2', { state: 'backoff', restarts: 3 }), assignment(vs, 'v2', { env: { A: '2' } })]);
  assert.deepEqual(rollout(site, [...old, ...crashing], routeOf(['shop-1', 'v2'], ['shop-2', 'v2'])), { current: ['shop-3', 'shop-4'], ready: 0, done: false }, 'the old servers serve the release, yet it is not rolled out');
  const ready: [VirtualServerView, Assignment][] = crashing.map(([v, a]) => [{ ...v, state: 'ready' }, a]);
  assert.equal(rollout(site, [...old, ...ready], routeOf(['shop-1', 'v2'], ['shop-2', 'v2'])).done, false);
  assert.equal(rollout(site, [...old, ...ready], routeOf(['shop-1', 'v2'], ['shop-3', 'v2'])).done, false, 'one old server still routed');
  assert.equal(rollout(site, [...old, ...ready], routeOf(['shop-3', 'v2'], ['shop-4', 'v2'])).done, true);
  // the same variables in another order are the same environment
  assert.deepEqual(rollout({ ...shop, env: { B: 'x', A: '1' } }, [[view('shop-1', 'v2'), assignment('shop-1', 'v2', { env: { A: '1', B: 'x' } })]], undefined).current, ['shop-1']);
});

test('each start setting counts: command, health path, start deadline, database login', () => {
  const servers = (over: Partial<Assignment>): [VirtualServerView, Assignment][] => [[view('shop-1', 'v2'), assignment('shop-1', 'v2', over)]];
  for (const over of [{ command: 'node other.js' }, { healthPath: '/' }, { startTimeoutMs: 60_000 }, { database: { name: 'db', user: 'u1', password: 'p' } }]) {
    assert.deepEqual(rollout(shop, servers(over), undefined).current, [], JSON.stringify(over));
  }
  const bound = { ...shop, database: 'orders' };
  assert.deepEqual(rollout(bound, servers({ database: { name: 'db', user: 'u2', password: 'p' } }), undefined, 'u2').current, ['shop-1'], 'the current login');
  assert.deepEqual(rollout(bound, servers({ database: { name: 'db', user: 'u1', password: 'p' } }), undefined, 'u2').current, [], 'a rotated-out login');
});

test('unassigned or without an assignment read: not current; a current server the route leaves out still counts ready', () => {
  // the farm view marks it draining: out of a route that serves only the release (so does a
  // server with new settings until the switch)
  const servers: [VirtualServerView, Assignment?][] = [
    [view('shop-1', 'v2'), assignment('shop-1', 'v2')],
    [view('shop-2', 'v2', { draining: true }), assignment('shop-2', 'v2')],
    [view('shop-3', 'v2', { assigned: false })],
    [view('shop-4', 'v2')],
  ];
  assert.deepEqual(rollout(shop, servers, routeOf(['shop-1', 'v2'])), { current: ['shop-1', 'shop-2'], ready: 2, done: true });
  assert.deepEqual(rollout(shop, servers, routeOf(['shop-1', 'v2'], ['shop-4', 'v2'])), { current: ['shop-1', 'shop-2'], ready: 2, done: false }, 'a server of unknown start routed');
});

test('a pooled site: a pool is current once it shows the release, done once the route names that release', () => {
  const blog: Site = { ...shop, name: 'blog', kind: 'static', pooled: true, replicas: 1, command: undefined, env: {} };
  const pool = (release: string): [VirtualServerView, Assignment?] => [{ ...view('pool-acme-1', release), site: 'pool', pool: ['blog'] }, assignment('pool-acme-1', 'pool', { site: 'pool', kind: 'static', pool: { sites: [{ site: 'blog', release, sha256: '0'.repeat(64), domains: ['shop.test'] }] } })];
  assert.deepEqual(rollout(blog, [pool('v1')], routeOf(['pool-acme-1', 'v1'])), { current: [], ready: 0, done: false });
  assert.deepEqual(rollout(blog, [pool('v2')], routeOf(['pool-acme-1', 'v1'])), { current: ['pool-acme-1'], ready: 1, done: false }, 'the route lags the pool');
  assert.deepEqual(rollout(blog, [pool('v2')], routeOf(['pool-acme-1', 'v2'])), { current: ['pool-acme-1'], ready: 1, done: true });
  // unpooled: its own servers are what counts, the pool serves on until they are ready
  const own: [VirtualServerView, Assignment] = [view('blog-1', 'v2'), assignment('blog-1', 'v2', { site: 'blog', kind: 'static', command: undefined, env: {} })];
  const unpooled = { ...blog, pooled: false };
  assert.deepEqual(rollout(unpooled, [pool('v2'), own], routeOf(['pool-acme-1', 'v2'])), { current: ['blog-1'], ready: 1, done: false });
  assert.deepEqual(rollout(unpooled, [pool('v2'), own], routeOf(['blog-1', 'v2'])), { current: ['blog-1'], ready: 1, done: true });
});

test('nothing wanted: a site at 0 replicas with an empty route is rolled out; a site without a release has nothing current', () => {
  assert.deepEqual(rollout({ ...shop, replicas: 0 }, [], routeOf()), { current: [], ready: 0, done: true });
  const { release: _r, ...none } = shop;
  assert.deepEqual(rollout(none, [[view('shop-1', 'v2'), assignment('shop-1', 'v2')]], undefined), { current: [], ready: 0, done: false });
});

/** farmRollouts of shop alone, wanting its replicas. */
function glance(site: Site, servers: [VirtualServerView, Assignment?][], route: Route | undefined) {
  const assignments = new Map(servers.flatMap(([, a]) => (a ? [[a.vs, a] as const] : [])));
  const routes = new Map(route ? [[site.name, route]] : []);
  return farmRollouts([site], new Map([[site.name, servers.map(([v]) => v)]]), { assignments, login: () => undefined }, routes, (s) => s.replicas)[site.name];
}

test('the farm\'s glance: a settings change whose new servers crash-loop is a stuck rollout, the old servers serving; done, no rollout', () => {
  const site = { ...shop, env: { A: '2' } };
  const old: [VirtualServerView, Assignment][] = [[view('shop-1', 'v2'), assignment('shop-1', 'v2')], [view('shop-2', 'v2'), assignment('shop-2', 'v2')]];
  const crashing: [VirtualServerView, Assignment][] = ['shop-3', 'shop-4'].map((vs) => [view(vs, 'v2', { state: 'backoff', restarts: 3 }), assignment(vs, 'v2', { env: { A: '2' } })]);
  const route = routeOf(['shop-1', 'v2'], ['shop-2', 'v2']);
  assert.deepEqual(glance(site, [...old, ...crashing], route), { serving: 2, replicas: 2, rollout: { ready: 0, stuck: true } }, 'two serve, the rollout of A=2 has none ready');
  const one: [VirtualServerView, Assignment][] = [[{ ...crashing[0]![0], state: 'ready', restarts: 0 }, crashing[0]![1]], [{ ...crashing[1]![0], state: 'starting', restarts: 0 }, crashing[1]![1]]];
  assert.deepEqual(glance(site, [...old, ...one], route), { serving: 2, replicas: 2, rollout: { ready: 1 } }, 'under way: one new ready (waiting for the switch), one starting');
  const ready: [VirtualServerView, Assignment][] = crashing.map(([v, a]) => [{ ...v, state: 'ready' }, a]);
  assert.deepEqual(glance(site, [...old, ...ready], routeOf(['shop-3', 'v2'], ['shop-4', 'v2'])), { serving: 2, replicas: 2 }, 'switched: the old ones drain, the rollout is done');
});

test('the farm\'s glance: scaling up or a first deploy replaces nothing, so no rollout; what serves is what the route has ready', () => {
  const servers: [VirtualServerView, Assignment][] = [[view('shop-1', 'v2'), assignment('shop-1', 'v2')], [view('shop-2', 'v2', { state: 'starting' }), assignment('shop-2', 'v2')]];
  assert.deepEqual(glance({ ...shop, replicas: 3 }, servers, routeOf(['shop-1', 'v2'])), { serving: 1, replicas: 3 });
  assert.deepEqual(glance(shop, [[view('shop-1', 'v2', { state: 'crashed' }), assignment('shop-1', 'v2')]], routeOf(['shop-1', 'v2'])), { serving: 0, replicas: 2 }, 'routed, but crashed since');
  const { release: _r, ...none } = shop;
  assert.deepEqual(glance(none, [], undefined), { serving: 0, replicas: 2 });
});
