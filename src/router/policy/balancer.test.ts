import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Route } from '../../model/index.ts';
import { RoundRobin } from './balancer.ts';
import { Ejections, endpointKey } from './ejections.ts';

function site(ports: number[]): Route {
  return {
    site: 's',
    domains: ['s.test'],
    endpoints: ports.map((port) => ({ vs: `vs${port}`, address: '127.0.0.1', port, release: 'r1' })),
    updatedAt: '',
  };
}

function setup(ports: number[]) {
  let now = 1000;
  const ejections = new Ejections(3000, () => now);
  const rr = new RoundRobin(ejections);
  return { route: site(ports), ejections, rr, advance: (ms: number) => (now += ms) };
}

const key = (port: number) => `127.0.0.1:${port}`;

test('round robin visits every endpoint in turn', () => {
  const { route, rr } = setup([1, 2, 3]);
  const picks = Array.from({ length: 6 }, () => rr.pick(route)?.port);
  assert.deepEqual(picks, [1, 2, 3, 1, 2, 3]);
});

test('no endpoints, no pick', () => {
  const { rr } = setup([]);
  assert.equal(rr.pick(site([])), undefined);
});

test('ejected endpoints are skipped until their ejection ends', () => {
  const { route, rr, ejections, advance } = setup([1, 2, 3]);
  ejections.eject(key(2));
  assert.deepEqual(Array.from({ length: 4 }, () => rr.pick(route)?.port), [1, 3, 1, 3]);
  advance(3001);
  assert.deepEqual(Array.from({ length: 3 }, () => rr.pick(route)?.port), [1, 2, 3]);
});

test('when every endpoint is ejected one is still tried', () => {
  const { route, rr, ejections } = setup([1, 2]);
  ejections.eject(key(1));
  ejections.eject(key(2));
  assert.ok(rr.pick(route));
});

test('endpoints already tried by the request are avoided, ejected or not', () => {
  const { route, rr, ejections } = setup([1, 2, 3]);
  ejections.eject(key(3));
  assert.equal(rr.pick(route, new Set([key(1)]))?.port, 2);
  assert.equal(rr.pick(route, new Set([key(1), key(2)]))?.port, 3);
  assert.ok(rr.pick(route, new Set([key(1), key(2), key(3)])));
});

test('endpoint keys bracket IPv6 addresses', () => {
  assert.equal(endpointKey({ vs: 'v', address: '::1', port: 80, release: 'r' }), '[::1]:80');
  assert.equal(endpointKey({ vs: 'v', address: '10.0.0.1', port: 80, release: 'r' }), '10.0.0.1:80');
});

test('eject reports whether the endpoint was newly ejected', () => {
  const { ejections } = setup([]);
  assert.equal(ejections.eject('a'), true);
  assert.equal(ejections.eject('a'), false);
  ejections.retain(new Set());
  assert.equal(ejections.isEjected('a'), false);
});
