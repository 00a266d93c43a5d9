// The tick's timers, per site (due-sites.ts): each kind of entry in the plan's memory names
// the sites or customers to plan, an entry whose server or site is gone is forgotten, a
// lost engine means every site, and no timer means nothing to plan.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Assignment, Site } from '../model/index.ts';
import { newMemory } from './plan.ts';
import { dueSites, hasTimers } from './due-sites.ts';

const site = (name: string, id?: string): Site => ({ ...(id ? { id } : {}), name, customer: 'acme', domains: [`${name}.test`], kind: 'static', replicas: 1, healthPath: '/', env: {}, createdAt: '', updatedAt: '' });
const server = (vs: string, s: string, customer = 'acme', pool = false): Assignment => ({
  vs, engine: 'e1', site: s, customer, release: 'r1', sha256: 'ab', kind: 'static', healthPath: '/', env: {}, domains: [], createdAt: '', ...(pool ? { pool: { sites: [] } } : {}),
}) as Assignment;

test('no timer: nothing due', () => {
  const mem = newMemory();
  assert.equal(hasTimers(mem), false);
  assert.equal(dueSites(mem, { sites: [site('a')], assignments: [server('a-1', 'a')] }), undefined);
});

test('each timer names its site or customer; gone servers and sites are forgotten', () => {
  const mem = newMemory();
  const farm = {
    sites: [site('a'), site('b', 'id-b'), site('c')],
    assignments: [server('a-1', 'a'), server('gone-site-1', 'old'), server('pool-x', 'pool', 'pooler', true), server('pool-y', 'pool', 'leaver', true)],
  };
  mem.retiringSince.set('a-1', 1);
  mem.retiringSince.set('gone-site-1', 1); // its site deleted: the server still retires
  mem.retiringSince.set('vanished', 1);
  mem.retiringSince.set('pool-x', 1);
  mem.moves.set('id-b', { vs: 'b-2', since: 1 });
  mem.moves.set('id-deleted', { vs: 'z-2', since: 1 });
  mem.poolLeaving!.set('pool-y/c', 1);
  mem.poolLeaving!.set('pool-gone/c', 1);
  assert.equal(hasTimers(mem), true);
  const due = dueSites(mem, farm);
  assert.ok(due && due !== 'all');
  assert.deepEqual([...due.sites].sort(), ['a', 'b', 'old']);
  assert.deepEqual([...due.customers].sort(), ['leaver', 'pooler']);
  assert.deepEqual([...mem.retiringSince.keys()].sort(), ['a-1', 'gone-site-1', 'pool-x']);
  assert.deepEqual([...mem.moves.keys()], ['id-b']);
  assert.deepEqual([...mem.poolLeaving!.keys()], ['pool-y/c']);
});

test('a lost engine being waited for: every site', () => {
  const mem = newMemory();
  mem.engineMissingSince.set('e9', 1);
  assert.equal(dueSites(mem, { sites: [], assignments: [] }), 'all');
});

test('timers only on servers that are gone: forgotten, nothing due', () => {
  const mem = newMemory();
  mem.retiringSince.set('vanished', 1);
  assert.equal(dueSites(mem, { sites: [site('a')], assignments: [] }), undefined);
  assert.equal(hasTimers(mem), false);
});
