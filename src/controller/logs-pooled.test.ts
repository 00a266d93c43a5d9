// Logs of a pooled site: the lines of the customer's pool VS that holds it, after a first
// line saying so; the customer may read them (the pool is theirs), another customer's
// pool never shows. The engine's log reader is an in-memory one, as in logs.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EngineLogs } from './options.ts';
import { keys, type Assignment } from '../model/index.ts';
import { staticSite, startController } from './test-harness.ts';

const T = (s: number) => `2026-12-04T15:00:0${s}.000Z`;

function pool(vs: string, customer: string, sites: string[]): Assignment {
  return {
    vs, engine: 'e1', site: 'pool', customer, kind: 'static', release: 'pool', sha256: '0'.repeat(64), healthPath: '/', env: {}, domains: [],
    createdAt: '', pool: { sites: sites.map((site) => ({ site, release: 'v1', sha256: 'a'.repeat(64), domains: [`${site}.test`] })) },
  };
}

test('a pooled site\'s logs: a first line naming its pool VS, then the pool\'s lines; the customer\'s own, never another\'s', async (t) => {
  const lines: Record<string, string[]> = {
    'pool-acme-1': [`${T(1)} web runtime listening`, `${T(2)} site table loaded`],
    'pool-globex-1': [`${T(1)} globex secret`],
  };
  const logs: EngineLogs = { listVsLogs: async () => [], tail: async (vs, n) => (lines[vs] ?? []).slice(-n), follow: () => () => {} };
  const h = await startController(t, { engineLogs: logs, routerLogs: { tail: async () => [], follow: () => () => {} } });
  const acme = await h.customer('acme');
  const globex = await h.customer('globex');
  for (const [who, name] of [[acme, 'blog'], [acme, 'docs'], [globex, 'shop']] as const) {
    assert.equal((await who.post('/v1/sites', staticSite(name, { pooled: true }))).status, 201);
  }
  await h.store.put(keys.assignment('e1', 'pool-acme-1'), JSON.stringify(pool('pool-acme-1', 'acme', ['blog', 'docs'])));
  await h.store.put(keys.assignment('e1', 'pool-globex-1'), JSON.stringify(pool('pool-globex-1', 'globex', ['shop'])));

  const note = "corral | blog is pooled: the lines below are those of pool VS pool-acme-1 (engine e1), serving every pooled static site of acme there\n";
  for (const who of [acme, h.admin]) {
    const res = await who.get('/v1/sites/blog/logs?tail=10');
    assert.equal(res.status, 200);
    assert.equal(res.body, `${note}pool-acme-1 | web runtime listening\npool-acme-1 | site table loaded\n`);
  }
  assert.equal((await acme.get('/v1/sites/blog/logs?tail=1')).body, `${note}pool-acme-1 | site table loaded\n`, 'tail counts the lines, not the note');
  // the router's lines only: the note is about the app's lines (and the pools were not even read)
  assert.equal((await acme.get('/v1/sites/blog/logs?source=router')).body, '', 'router only: no note');
  assert.equal((await globex.get('/v1/sites/blog/logs')).status, 404, "another customer's site stays unseen");
  assert.doesNotMatch((await globex.get('/v1/sites/shop/logs')).body, /acme/);

  // in no pool now (scaled to zero, not yet placed): says so, no lines
  assert.equal((await acme.post('/v1/sites', staticSite('idle', { pooled: true }))).status, 201);
  assert.equal((await acme.get('/v1/sites/idle/logs')).body, 'corral | idle is pooled and no pool VS holds it now (scaled to zero, or not placed yet)\n');
  // a site not pooled (pooled: false; pooled is the default): no note, as before
  assert.equal((await acme.post('/v1/sites', staticSite('own', { pooled: false }))).status, 201);
  assert.equal((await acme.get('/v1/sites/own/logs')).body, '');
});
