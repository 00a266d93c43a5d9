// Which virtual servers the status views call draining: ready, assigned, left out of a
// route that serves only the site's release (deploy, rollback, scale-down, engine drain).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Route, Site } from '../model/index.ts';
import { markDraining, type VirtualServerView } from './farm-view.ts';

const site: Site = { id: '0a', name: 'chat', customer: 'acme', domains: ['chat.test'], kind: 'app', replicas: 1, healthPath: '/', env: {}, release: 'v2', createdAt: '', updatedAt: '' };
const vs = (name: string, release: string, over: Partial<VirtualServerView> = {}): VirtualServerView =>
  ({ vs: name, engine: 'e1', site: 'chat', siteId: '0a', release, assigned: true, state: 'ready', ...over });
const routeOf = (...endpoints: [string, string][]): Route =>
  ({ site: 'chat', domains: ['chat.test'], endpoints: endpoints.map(([name, release]) => ({ vs: name, address: '127.0.0.1', port: 1, release })), updatedAt: '' });
const draining = (views: VirtualServerView[], route: Route) =>
  markDraining(views, new Map([['chat', site]]), new Map([['chat', route]])).filter((v) => v.draining).map((v) => v.vs);

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
