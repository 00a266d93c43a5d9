// End to end: a farm whose store holds records an older Corral accepted but no router or
// engine can use (a health path with a space or a CRLF, NUL in an env value) — written
// straight to the store, as an upgrade would find them — starts, serves every other site,
// and counts the records it skips. Before, such a store crashed `corral up` at every start.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startFarmProcess, ok, removeDir, REPO, type FarmProcess } from './helpers/farm-process.ts';
import { get } from './helpers/http.ts';
import { waitFor } from '../src/lib/wait.ts';
import { keys, type Assignment, type FarmEvent, type Route, type Site } from '../src/model/index.ts';
import { openSqliteStore } from '../src/store/index.ts';

const ACME = 'www.acme.test';
const GLOBEX = 'shop.globex.test';
const STATIC_EXAMPLE = join(REPO, 'examples', 'static-site');
const BAD_ENV = { SECRET: 'a\u0000b' };
const BAD_PATH = '/x\r\nHost: evil';

describe('a farm started on a store holding records no router or engine can use', () => {
  let farm: FarmProcess | undefined;
  let dir = '';

  before(async () => {
    const first = await startFarmProcess({ extraArgs: ['--runtime', 'process'] });
    dir = first.dir;
    try {
      const acme = /token: (\S+)/.exec((await ok(first.cli(['customer', 'create', 'acme']))).stdout)![1]!;
      const globex = /token: (\S+)/.exec((await ok(first.cli(['customer', 'create', 'globex']))).stdout)![1]!;
      await ok(first.cli(['site', 'create', 'www', '--domain', ACME], { token: acme }));
      await ok(first.cli(['deploy', STATIC_EXAMPLE, '--site', 'www'], { token: acme }));
      // --no-pooled: shop's own assignments are the engine's bad records (www stays pooled)
      await ok(first.cli(['site', 'create', 'shop', '--domain', GLOBEX, '--no-pooled'], { token: globex }));
      await ok(first.cli(['deploy', STATIC_EXAMPLE, '--site', 'shop'], { token: globex }));
      await waitFor(async () => (await get(first.routerUrl, GLOBEX)).status === 200, { timeoutMs: 30_000, what: 'shop served' });
    } finally {
      assert.equal(await first.stop(), 0);
    }
    // what an older API let through, written where it would be: the site, its route and its assignments
    const store = await openSqliteStore(join(dir, 'store.db'));
    try {
      const site = JSON.parse((await store.get(keys.site('shop')))!.value) as Site;
      // healthCheck set: the router checks this site too (its route carries the bad path, so the reconciler cannot rewrite it)
      await store.put(keys.site('shop'), JSON.stringify({ ...site, healthPath: BAD_PATH, env: BAD_ENV, healthCheck: {} }));
      const route = JSON.parse((await store.get(keys.route('shop')))!.value) as Route;
      await store.put(keys.route('shop'), JSON.stringify({ ...route, health: { path: '/a b' } }));
      const { kvs } = await store.range(keys.assignments);
      const shop = kvs.filter((kv) => (JSON.parse(kv.value) as Assignment).site === 'shop');
      assert.ok(shop.length > 0, 'shop has assignments');
      for (const kv of shop) await store.put(kv.key, JSON.stringify({ ...(JSON.parse(kv.value) as Assignment), healthPath: BAD_PATH, env: BAD_ENV }));
    } finally {
      await store.close();
    }
  });
  after(async () => {
    await farm?.stop();
    await removeDir(dir);
  });

  it('starts, serves the other sites, skips the bad records and counts them by site', async () => {
    farm = await startFarmProcess({ dir, extraArgs: ['--runtime', 'process'] });
    const f = farm;
    await waitFor(async () => (await get(f.routerUrl, ACME)).status === 200, { timeoutMs: 30_000, what: `${ACME} served again` });
    // several of the router's and the engine's check intervals: still up, still serving
    const until = Date.now() + 6_000;
    do {
      assert.equal(f.child.exitCode, null, `corral up exited:\n${f.output().slice(-4_000)}`);
      assert.equal((await get(f.routerUrl, ACME)).status, 200);
    } while (Date.now() < until);
    assert.notEqual((await get(f.routerUrl, GLOBEX)).status, 200, 'the site whose records are bad is not served');

    const metrics = await fetch(`${f.apiUrl}/metrics`, { headers: { authorization: `Bearer ${f.token}` } }).then((res) => res.text());
    assert.match(metrics, /^corral_router_bad_records_total\{kind="route",site="shop"\} [1-9]/m);
    assert.match(metrics, /^corral_engine_bad_records_total\{kind="assignment",site="shop"\} [1-9]/m);
    assert.doesNotMatch(metrics, /bad_records_total\{[^}]*site="www"/, 'nothing of the good site is skipped');
    // the terminal and the JSON logs (<dir>/logs/corral.log)
    assert.doesNotMatch(f.output() + (await readFile(join(dir, 'logs', 'corral.log'), 'utf8')), /ERR_UNESCAPED_CHARACTERS|ERR_INVALID_ARG_VALUE|ERR_INVALID_CHAR/);

    // the reconciler does not write what its readers would skip, and says so once, to the site's owner too
    const events = await fetch(`${f.apiUrl}/v1/events?type=farm&site=shop`, { headers: { authorization: `Bearer ${f.token}` } })
      .then((res) => res.json() as Promise<{ events: FarmEvent[] }>);
    const bad = events.events.filter((e) => e.action === 'site.bad_record');
    assert.equal(bad.length, 1, `one bad-record event for shop: ${JSON.stringify(events.events)}`);
    assert.equal(bad[0]!.customer, 'globex');
    assert.match(bad[0]!.message ?? '', /healthPath|health/);
  });
});
