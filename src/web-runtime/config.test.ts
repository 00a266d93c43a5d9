import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { listenFromEnv, parseSites, sitesFromEnv } from './config.ts';
import { buildSiteTable, hostName } from './site-table.ts';

test('sites are normalised and frozen', () => {
  const sites = parseSites([{ domains: ['Example.COM.', 'example.com'], root: 'rel/dir' }]);
  assert.deepEqual(sites, [{ domains: ['example.com'], root: path.resolve('rel/dir'), spa: false }]);
  assert.equal(parseSites([{ domains: [], root: '/x', spa: true }])[0]!.spa, true);
  assert.ok(Object.isFrozen(sites) && Object.isFrozen(sites[0]));
});

test('bad site lists are refused with a clear error', () => {
  const bad: unknown[] = [
    [],
    {},
    [{ domains: ['a'], root: '' }],
    [{ domains: 'a', root: '/x' }],
    [{ domains: ['a'], root: '/x', extra: 1 }],
    [{ domains: ['a'], root: '/x', spa: 'yes' }],
    [{ domains: ['a'], root: '/x' }, { domains: ['A'], root: '/y' }],
    [{ domains: [], root: '/x' }, { domains: ['b'], root: '/y' }],
  ];
  for (const v of bad) assert.throws(() => parseSites(v), { code: 'WEB_CONFIG_INVALID' }, JSON.stringify(v));
});

test('env: CORRAL_WEB_SITES first, else CORRAL_WEB_ROOT for any host', () => {
  assert.deepEqual(sitesFromEnv({ CORRAL_WEB_SITES: '[{"domains":["a.test"],"root":"/srv/a"}]', CORRAL_WEB_ROOT: '/x' }), [{ domains: ['a.test'], root: '/srv/a', spa: false }]);
  assert.deepEqual(sitesFromEnv({ CORRAL_WEB_ROOT: '/srv/b' }), [{ domains: [], root: '/srv/b', spa: false }]);
  assert.throws(() => sitesFromEnv({}), { code: 'WEB_CONFIG_INVALID' });
  assert.throws(() => sitesFromEnv({ CORRAL_WEB_SITES: '{' }), { code: 'WEB_CONFIG_INVALID' });
});

test('env: PORT required, HOST defaults to loopback', () => {
  assert.deepEqual(listenFromEnv({ PORT: '8080' }), { port: 8080, host: '127.0.0.1' });
  assert.deepEqual(listenFromEnv({ PORT: '0', HOST: '127.77.0.5' }), { port: 0, host: '127.77.0.5' });
  for (const PORT of [undefined, '', 'x', '-1', '70000', '80.5']) assert.throws(() => listenFromEnv({ PORT }), { code: 'WEB_CONFIG_INVALID' });
});

test('Host lookup: exact, port stripped, case-insensitive; a lone site answers any host', () => {
  const a = { domains: ['a.test'], root: '/a', spa: false };
  const b = { domains: ['b.test', 'www.b.test'], root: '/b', spa: false };
  const lookup = buildSiteTable([a, b]);
  assert.equal(lookup('A.Test:8080'), a);
  assert.equal(lookup('www.b.test.'), b);
  assert.equal(lookup('c.test'), undefined);
  assert.equal(lookup('x.a.test'), undefined);
  assert.equal(lookup(undefined), undefined);
  assert.equal(buildSiteTable([a])('anything.example'), a);
  assert.equal(hostName('[::1]:8080'), '[::1]');
});
