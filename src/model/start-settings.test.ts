import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Site } from './records.ts';
import { sameStartSettings, startChanges } from './start-settings.ts';

const shop: Site = { name: 'shop', customer: 'acme', domains: ['shop.test'], kind: 'app', replicas: 2, command: 'node server.js', healthPath: '/health', env: { A: '1', B: '2' }, release: 'v1', createdAt: '', updatedAt: '' };

test('sameStartSettings: command, health path, start deadline and environment (in any order); nothing else', () => {
  assert.equal(sameStartSettings(shop, { ...shop, env: { B: '2', A: '1' } }), true);
  const moved: Site = { ...shop, domains: ['other.test'], replicas: 5, release: 'v9' };
  assert.equal(sameStartSettings(shop, moved), true);
  const others: Partial<Site>[] = [{ command: 'node x.js' }, { command: undefined }, { healthPath: '/' }, { startTimeoutMs: 60_000 }, { env: { A: '1' } }, { env: { A: '1', B: '3' } }, { env: { A: '1', C: '2' } }];
  for (const other of others) {
    assert.equal(sameStartSettings(shop, { ...shop, ...other }), false, JSON.stringify(other));
    assert.equal(sameStartSettings({ ...shop, ...other }, shop), false, `${JSON.stringify(other)}, the other way`);
  }
});

test('startChanges names what rolls out new servers, and nothing for a change that does not', () => {
  assert.deepEqual(startChanges(shop, { ...shop, env: { ...shop.env, C: '3' } }), ['env']);
  assert.deepEqual(startChanges(shop, { ...shop, command: 'node y.js', healthPath: '/', startTimeoutMs: 90_000, database: 'orders' }), ['command', 'health path', 'start timeout', 'database']);
  assert.deepEqual(startChanges(shop, { ...shop, domains: ['x.test'], replicas: 3, drainTimeoutMs: 0, resources: { memoryMb: 256 }, limits: { requestsPerSecond: 5 } }), []);
  const blog: Site = { ...shop, name: 'blog', kind: 'static', command: undefined, pooled: true };
  assert.deepEqual(startChanges(blog, { ...blog, env: { A: '9' } }), [], 'a pool entry carries only the release and domains');
  assert.deepEqual(startChanges(blog, { ...blog, pooled: false }), ['pooling']);
  assert.deepEqual(startChanges({ ...blog, pooled: false }, { ...blog, pooled: false, env: {} }), ['env'], 'a static site with servers of its own');
  assert.deepEqual(startChanges(blog, { ...blog, spa: true }), [], 'a pooled site\'s spa changes in its pools\' tables, in place');
  assert.deepEqual(startChanges({ ...blog, pooled: false }, { ...blog, pooled: false, spa: true }), ['spa'], 'the web runtime of a VS of its own is started with it');
  assert.equal(sameStartSettings({ ...blog, spa: true }, blog), false);
});
