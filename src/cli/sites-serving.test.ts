// Which sites `corral up` waits for after a restart: those with a release, replicas and
// no endpoint in their route yet; not sites without a release, scaled to 0 or in maintenance.
import { after, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keys, type Route, type Site } from '../model/index.ts';
import { openSqliteStore } from '../store/index.ts';
import { sitesNotServing, untilSitesServing } from './sites-serving.ts';

const dir = await mkdtemp(join(tmpdir(), 'corral-serving-'));
after(() => rm(dir, { recursive: true, force: true }));

const site = (name: string, over: Partial<Site> = {}): Site => ({
  name, customer: 'acme', domains: [`${name}.acme.test`], kind: 'static', replicas: 1, healthPath: '/', env: {},
  release: 'v1', createdAt: '2026-12-04T00:00:00.000Z', updatedAt: '2026-12-04T00:00:00.000Z', ...over,
});
const route = (name: string, endpoints: number): Route => ({
  site: name, domains: [`${name}.acme.test`], updatedAt: '2026-12-04T00:00:00.000Z',
  endpoints: Array.from({ length: endpoints }, (_, i) => ({ vs: `${name}-${i}`, address: '127.0.0.1', port: 1000 + i, release: 'v1' })),
});

it('waits for sites that should serve and have no endpoint, and for nothing else', async () => {
  const store = await openSqliteStore(join(dir, 'store.db'));
  try {
    const put = (key: string, value: unknown) => store.put(key, JSON.stringify(value));
    await put(keys.site('cold'), site('cold'));
    await put(keys.route('cold'), route('cold', 0));
    await put(keys.site('noroute'), site('noroute'));
    await put(keys.site('warm'), site('warm'));
    await put(keys.route('warm'), route('warm', 2));
    await put(keys.site('empty'), site('empty', { release: undefined }));
    await put(keys.site('zero'), site('zero', { replicas: 0 }));
    await put(keys.site('closed'), site('closed', { maintenance: { on: true } }));
    assert.deepEqual(await sitesNotServing(store), ['cold', 'noroute']);
    assert.deepEqual(await untilSitesServing(store, undefined, 100), ['cold', 'noroute'], 'a deadline returns who is still starting');
    await put(keys.route('cold'), route('cold', 1));
    await put(keys.route('noroute'), route('noroute', 1));
    assert.deepEqual(await untilSitesServing(store, undefined, 1_000), []);
  } finally {
    await store.close();
  }
});
