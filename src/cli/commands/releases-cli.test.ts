import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeTarball, staticSite } from '../../controller/test-harness.ts';
import { startCliHarness, type CliRun } from '../cli-testing.ts';

const ok = (r: CliRun): CliRun => {
  assert.equal(r.code, 0, `corral failed: ${r.out}\n${r.err}`);
  return r;
};

test('the API: the same content uploaded again is the release that has it (200, unchanged), activated (and said so) if not current', async (t) => {
  const h = await startCliHarness(t);
  const acme = await h.customer('acme');
  assert.equal((await acme.post('/v1/sites', staticSite('blog'))).status, 201);
  const a = await makeTarball(t, { 'index.html': 'A' });
  const b = await makeTarball(t, { 'index.html': 'B' });
  const first = await acme.upload('/v1/sites/blog/releases', a);
  assert.equal(first.status, 201);
  assert.equal(first.json.release.id, 'v1');
  const again = await acme.upload('/v1/sites/blog/releases', a);
  assert.equal(again.status, 200, again.body);
  assert.deepEqual([again.json.unchanged, again.json.activated, again.json.release.id, again.json.site.release], [true, undefined, 'v1', 'v1'], 'the site left as it was');
  assert.equal((await acme.upload('/v1/sites/blog/releases', b)).json.release.id, 'v2');
  const back = await acme.upload('/v1/sites/blog/releases', a);
  assert.deepEqual([back.status, back.json.activated, back.json.release.id, back.json.site.release, back.json.site.previousRelease], [200, true, 'v1', 'v1', 'v2'], 'A is served again, no v3');
  const notActivated = await acme.upload('/v1/sites/blog/releases?activate=false', b);
  assert.deepEqual([notActivated.json.release.id, notActivated.json.site.release], ['v2', 'v1'], 'activate=false leaves the site as it is');
  assert.deepEqual((await acme.get('/v1/sites/blog/releases')).json.releases.map((r: { id: string }) => r.id), ['v1', 'v2']);
  // another site with the same content gets its own release
  assert.equal((await acme.post('/v1/sites', staticSite('docs'))).status, 201);
  const other = await acme.upload('/v1/sites/docs/releases', a);
  assert.deepEqual([other.status, other.json.release.id, other.json.unchanged], [201, 'v1', undefined]);
});

test('corral deploy of unchanged content says so; rollback --to serves a given release', async (t) => {
  const h = await startCliHarness(t);
  await h.customer('acme');
  assert.equal((await h.admin.post('/v1/sites', { ...staticSite('blog'), customer: 'acme' })).status, 201);
  const dir = await mkdtemp(join(tmpdir(), 'corral-deploy-test-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const deploy = () => h.corral(['deploy', dir, '--site', 'blog', '--no-wait']);
  await writeFile(join(dir, 'index.html'), 'one');
  assert.match(ok(await deploy()).out, /^rolling out blog v1 \(not waited for: corral status blog shows when it serves\)$/m, '--no-wait: not said to be deployed');
  const same = ok(await deploy());
  assert.match(same.err, /^unchanged: v1 already has this content \(sha256 [0-9a-f]{12}…\); no new release, the site serves v1$/m);
  assert.match(same.out, /^deployed blog v1 \(unchanged\)/m);
  await writeFile(join(dir, 'index.html'), 'two');
  assert.match(ok(await deploy()).err, /release v2 uploaded/);
  await writeFile(join(dir, 'index.html'), 'three');
  ok(await deploy());
  await writeFile(join(dir, 'index.html'), 'one');
  assert.match(ok(await deploy()).err, /unchanged: v1 already has this content.*the site serves v1/, 'old content: its release again');
  assert.equal((await h.admin.get('/v1/sites/blog')).json.site.release, 'v1');

  const to = ok(await h.corral(['rollback', 'blog', '--to', 'v3']));
  assert.match(to.out, /site blog rolling back to release v3 \(from v1\)/);
  assert.equal((await h.admin.get('/v1/sites/blog')).json.site.release, 'v3');
  assert.match(ok(await h.corral(['rollback', 'blog', '--to', 'v3'])).out, /already serves v3/);
  const plain = ok(await h.corral(['rollback', 'blog']));
  assert.match(plain.out, /rolling back to release v1 \(from v3\)/);
  const missing = await h.corral(['rollback', 'blog', '--to', 'v9']);
  assert.equal(missing.code, 1);
  assert.match(missing.err, /^error: release v9 of site blog not found$/);
  const bad = await h.corral(['rollback', 'blog', '--to', 'latest']);
  assert.match(bad.err, /--to must be a release id such as v3, got "latest"/);
  const releases = ok(await h.corral(['releases', 'blog']));
  assert.match(releases.out, /^v1\s+1\s.*current$/m);
  assert.match(releases.out, /^v3\s+3\s.*previous$/m);
  assert.equal((await h.admin.get('/v1/sites/blog/releases')).json.releases.length, 3);
});
