import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../lib/wait.ts';
import { parseStamped } from '../lib/stamped-line.ts';
import { route, startBackend, startRouter } from './testing.ts';
import { SiteAccessFiles } from './site-access-files.ts';
import { silentLogger } from '../lib/log.ts';

test('each proxied request writes one stamped line to its site file; other sites and unknown hosts write none', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'corral-site-access-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const b = await startBackend(t, 'b');
  const r = await startRouter(t, [route('shop', ['shop.test'], [b]), route('blog', ['blog.test'], [b])], { siteLogDir: dir, siteLogName: 'w1' });
  for (let i = 0; i < 25; i++) assert.equal((await r.send({ host: 'shop.test', path: `/p${i}` })).status, 200);
  assert.equal((await r.send({ host: 'nobody.test' })).status, 404);
  const file = join(dir, 'shop', 'w1.log');
  await waitFor(async () => (await readFile(file, 'utf8').catch(() => '')).split('\n').length > 25, { what: '25 lines' });
  const lines = (await readFile(file, 'utf8')).trim().split('\n').map(parseStamped);
  assert.equal(lines.length, 25);
  assert.ok(lines.every((l) => l.time !== ''), 'every line has its time');
  assert.match(lines[0]!.text, new RegExp(`^GET shop\\.test/p0 200 \\d+B [\\d.]+ms -> 127\\.0\\.0\\.1:${b.port}$`));
  assert.deepEqual(await readdir(dir), ['shop']);
});

test("a site's file is closed once no line went to it for a sweep, and its next line opens it again and appends", async (t) => {
  t.mock.timers.enable({ apis: ['setInterval'] });
  const dir = await mkdtemp(join(tmpdir(), 'corral-site-access-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const files = new SiteAccessFiles(dir, 'w1', silentLogger, 1024 * 1024, 1_000);
  t.after(() => files.close());
  files.route({ site: 'a' });
  files.route({ site: 'b' });
  files.write('a', 'first a');
  files.write('b', 'first b');
  files.flush();
  assert.equal(files.open, 2);
  t.mock.timers.tick(1_000); // both written since the start: kept
  assert.equal(files.open, 2);
  files.write('a', 'second a');
  files.flush();
  t.mock.timers.tick(1_000); // b idle for a whole sweep: closed
  assert.equal(files.open, 1);
  t.mock.timers.tick(1_000);
  assert.equal(files.open, 0, 'a idle too');
  files.write('b', 'second b');
  files.flush();
  assert.equal(files.open, 1);
  const text = (site: string) => readFile(join(dir, site, 'w1.log'), 'utf8').then((s) => s.trim().split('\n').map((l) => parseStamped(l).text));
  assert.deepEqual(await text('a'), ['first a', 'second a']);
  assert.deepEqual(await text('b'), ['first b', 'second b'], 'appended to, not started again');
});

test("a site's folder is its id: a site re-created under the name (by any customer) writes to a new folder and reads none of the old one's lines; a deleted site's late lines are dropped", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'corral-site-access-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const b = await startBackend(t, 'b');
  const old = { ...route('shared', ['shared.bravo.test'], [b]), siteId: '0aaa' };
  const r = await startRouter(t, [old], { siteLogDir: dir, siteLogName: 'w1' });
  assert.equal((await r.send({ host: 'shared.bravo.test', path: '/account/reset?token=BRAVO-SECRET' })).status, 200);
  const lines = async (key: string) => (await readFile(join(dir, key, 'w1.log'), 'utf8').catch(() => '')).trim().split('\n').filter((l) => l !== '').map((l) => parseStamped(l).text);
  await waitFor(async () => (await lines('0aaa')).length === 1, { what: "the old site's line" });
  // deleted, then created again under the name by another customer: a new id
  r.router.updateRoutes({ put: [], remove: ['shared'] });
  r.router.updateRoutes({ put: [{ ...route('shared', ['shared.alpha.test'], [b]), siteId: '0bbb' }], remove: [] });
  assert.equal((await r.send({ host: 'shared.alpha.test', path: '/new' })).status, 200);
  await waitFor(async () => (await lines('0bbb')).length === 1, { what: "the new site's line" });
  assert.match((await lines('0bbb'))[0]!, /^GET shared\.alpha\.test\/new 200 /);
  assert.doesNotMatch((await lines('0bbb')).join('\n'), /BRAVO-SECRET/);
  assert.deepEqual((await readdir(dir)).sort(), ['0aaa', '0bbb'], 'no folder by the name');
  // the same name, put again with another id in one step (no removal between): a new folder too
  r.router.updateRoutes({ put: [{ ...route('shared', ['shared.alpha.test'], [b]), siteId: '0ccc' }], remove: [] });
  assert.equal((await r.send({ host: 'shared.alpha.test', path: '/third' })).status, 200);
  await waitFor(async () => (await lines('0ccc')).length === 1, { what: "the third site's line" });
  assert.equal((await lines('0bbb')).length, 1, 'nothing more in the second folder');
});

test('a line of a site no longer routed is dropped, not written to a folder by its name', (t) => {
  const files = new SiteAccessFiles('/nonexistent-dir-never-created', 'w1', silentLogger);
  t.after(() => files.close());
  files.write('gone', 'late line');
  files.flush(); // would throw (and mark the files broken) if it tried to open a file
  assert.equal(files.open, 0);
});
