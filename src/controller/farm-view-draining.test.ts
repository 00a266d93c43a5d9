// Which virtual servers the status views call draining: ready, assigned, out of their site's
// route and leaving it — retired by a deploy, rollback, settings change, scale-down or engine
// drain —, not new ones waiting for their rollout's switch.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Assignment, Route, Site } from '../model/index.ts';
import { markDraining, type VirtualServerView } from './farm-view.ts';

const site: Site = { id: '0a', name: 'chat', customer: 'acme', domains: ['chat.test'], kind: 'app', replicas: 1, command: 'node chat.js', healthPath: '/', env: {}, release: 'v2', createdAt: '', updatedAt: '' };
/** A server of chat, started as the site says but for its release (and `started`). */
const vs = (name: string, release: string, over: Partial<VirtualServerView> = {}, started: Partial<Assignment> = {}): [VirtualServerView, Assignment] => [
  { vs: name, engine: 'e1', site: 'chat', siteId: '0a', release, assigned: true, state: 'ready', ...over },
  { vs: name, engine: 'e1', site: 'chat', siteId: '0a', customer: 'acme', kind: 'app', release, sha256: '0'.repeat(64), command: 'node chat.js', healthPath: '/', env: {}, domains: [], createdAt: '', ...started },
];
const routeOf = (...endpoints: [string, string][]): Route =>
  ({ site: 'chat', domains: ['chat.test'], endpoints: endpoints.map(([name, release]) => ({ vs: name, address: '127.0.0.1', port: 1, release })), updatedAt: '' });
const draining = (servers: [VirtualServerView, Assignment][], route: Route, wanted: Site = site) =>
  markDraining(servers.map(([v]) => v), new Map([['chat', wanted]]), new Map([['chat', route]]), { assignments: new Map(servers.map(([, a]) => [a.vs, a])), login: () => undefined })
    .filter((v) => v.draining).map((v) => v.vs);

test('after the switch the old release\'s servers are draining; before it nobody is', () => {
  const views = [vs('chat-1', 'v1'), vs('chat-2', 'v2')];
  assert.deepEqual(draining(views, routeOf(['chat-1', 'v1'])), [], 'v2 is ready but the route still serves v1: a rollout, not a drain');
  assert.deepEqual(draining(views, routeOf(['chat-2', 'v2'])), ['chat-1']);
});

test('a scale-down\'s extra servers are draining; crashed, unassigned or other sites\' servers are not', () => {
  const views = [
    vs('chat-2', 'v2'), vs('chat-3', 'v2'), vs('chat-4', 'v2', { state: 'crashed' }), vs('chat-5', 'v1', { assigned: false }),
    vs('chat-6', 'v1', { siteId: '0b' }),
  ];
  assert.deepEqual(draining(views, routeOf(['chat-2', 'v2'])), ['chat-3']);
  assert.deepEqual(draining(views, routeOf()), [], 'no endpoint at all (scaled to 0, nothing ready): nothing to tell apart');
});

test('a rollout that is not ready yet: the previous release serves, one retired before it is draining', () => {
  const views = [vs('chat-1', 'v0'), vs('chat-2', 'v1'), vs('chat-3', 'v1'), vs('chat-4', 'v2')];
  assert.deepEqual(draining(views, routeOf(['chat-2', 'v1'])), ['chat-1'], 'v1 serves (one of it crashed and back, not routed yet), v2 starts, v0 drains');
});

test('a settings rollout keeps the release: its new ready servers wait for the switch, the old ones drain after it', () => {
  const wanted = { ...site, env: { A: '2' } };
  const servers = [vs('chat-1', 'v2'), vs('chat-2', 'v2'), vs('chat-3', 'v2', {}, { env: { A: '2' } }), vs('chat-4', 'v2', { state: 'backoff' }, { env: { A: '2' } })];
  assert.deepEqual(draining(servers, routeOf(['chat-1', 'v2'], ['chat-2', 'v2']), { ...wanted, replicas: 2 }), [], 'chat-3 is ready, new and not routed yet: starting to serve, not leaving');
  assert.deepEqual(draining(servers, routeOf(['chat-3', 'v2'], ['chat-4', 'v2']), { ...wanted, replicas: 2 }), ['chat-1', 'chat-2'], 'switched: the servers started with the old env leave');
  // a third change before the second was ready: its servers were never routed and are retired
  const third = [...servers, vs('chat-5', 'v2', {}, { env: { A: '3' } })];
  assert.deepEqual(draining(third, routeOf(['chat-1', 'v2'], ['chat-2', 'v2']), { ...site, env: { A: '3' }, replicas: 2 }), ['chat-3'], 'A=2 is retired unrouted; A=3 (chat-5) waits for the switch');
});

test('a new command: old servers routed serve on, an old one out of the route but started like them is not leaving', () => {
  const wanted = { ...site, command: 'node chat2.js', replicas: 2 };
  const servers = [vs('chat-1', 'v2'), vs('chat-2', 'v2'), vs('chat-3', 'v2', {}, { command: 'node chat2.js' })];
  assert.deepEqual(draining(servers, routeOf(['chat-1', 'v2']), wanted), [], 'chat-2 crashed and came back: the route takes it in again');
});
