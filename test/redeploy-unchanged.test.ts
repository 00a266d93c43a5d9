// End to end, as a customer on a real `corral up`: deploying again the content a site's release
// already has changes nothing. To a site scaled to zero it is deployed at once (nothing to roll
// out; the site wakes on its next request), and so are `rollback --to` its release and a new
// setting; to a site whose last rollout crash-looped and never finished it says so — the
// release is the site's, the router serves the one before — and fails as that rollout does.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adminGet, ok, removeDir, REPO, startFarmProcess, type FarmProcess } from './helpers/farm-process.ts';
import { get } from './helpers/http.ts';
import { waitFor } from '../src/lib/wait.ts';

const APP = join(REPO, 'examples', 'node-app');

let farm: FarmProcess;
let work = '';

const serversOf = async (site: string) =>
  (await adminGet<{ virtualServers: { site: string }[] }>(farm, '/v1/vs')).virtualServers.filter((v) => v.site === site);

async function appSite(name: string, host: string, flags: string[]): Promise<void> {
  await ok(farm.cli(['site', 'create', name, '--customer', 'acme', '--kind', 'app', '--command', 'node server.js', '--health', '/health',
    '--domain', host, '--drain-timeout', '0', ...flags]));
  await ok(farm.cli(['deploy', APP, '--site', name]));
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'corral-redeploy-'));
  farm = await startFarmProcess();
  await ok(farm.cli(['customer', 'create', 'acme']));
});
after(async () => {
  await farm?.stop();
  await removeDir(farm?.dir ?? '');
  await removeDir(work);
});

it('the same content again to a site at zero is deployed at once, and the site still wakes on a request', async () => {
  const host = 'zz.acme.test';
  await appSite('zz', host, ['--min-replicas', '0', '--max-replicas', '2', '--idle-timeout', '2s']);
  await waitFor(async () => (await serversOf('zz')).length === 0, { timeoutMs: 30_000, what: 'zz idle, its VS stopped' });

  const started = Date.now();
  const r = await farm.cli(['deploy', APP, '--site', 'zz', '--timeout', '60']);
  const took = Date.now() - started;
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  assert.ok(took < 10_000, `${took} ms: nothing to roll out, not the 60 s of --timeout`);
  assert.match(r.stderr, /^unchanged: v1 already has this content \(sha256 [0-9a-f]{12}…\); no new release, the site serves v1$/m);
  assert.match(r.stdout, /^deployed zz v1 \(unchanged; the site is at zero and wakes on its next request\) in \d+\.\d s$/m);
  assert.equal((await serversOf('zz')).length, 0, 'nothing was woken');

  // what else waits on a rollout returns at once too
  assert.match((await ok(farm.cli(['rollback', 'zz', '--to', 'v1']))).stdout, /site zz already serves v1/);
  const set = Date.now();
  const env = await ok(farm.cli(['site', 'set', 'zz', '--env', 'A=1', '--timeout', '60']));
  assert.match(env.stdout + env.stderr, /^rolled out zz's new env in \d+\.\d s$/m);
  assert.ok(Date.now() - set < 10_000, 'new settings at zero wait for nothing');

  const woken = await get(farm.routerUrl, host);
  assert.equal(woken.status, 200, woken.body);
  assert.equal((await serversOf('zz')).length, 1, 'the request woke one server');
});

it('the same crashing content again after a failed rollout says the router serves the release before, and fails as that rollout', async () => {
  const host = 'stuck.acme.test';
  await appSite('stuck', host, ['--replicas', '1']);
  const crashing = join(work, 'crash');
  await mkdir(crashing);
  await writeFile(join(crashing, 'server.js'), 'process.exit(1);\n');
  const first = await farm.cli(['deploy', crashing, '--site', 'stuck', '--timeout', '120']);
  assert.equal(first.code, 1, `${first.stdout}\n${first.stderr}`);

  const started = Date.now();
  const again = await farm.cli(['deploy', crashing, '--site', 'stuck', '--timeout', '120']);
  assert.equal(again.code, 1, `${again.stdout}\n${again.stderr}`);
  assert.ok(Date.now() - started < 60_000, 'it fails fast as the rollout did');
  assert.match(again.stderr, /^unchanged: v2 already has this content \(sha256 [0-9a-f]{12}…\); no new release; v2 is the site's release; its rollout has not finished: the router serves v1$/m);
  assert.match(again.stderr, /^error: rollout of stuck v2 stopped early after \d+ s, its new servers crash-looping .*v1 serves on/m);
  assert.doesNotMatch(again.stderr, /the site serves v2/);
  assert.equal((await get(farm.routerUrl, host)).status, 200, 'v1 serves on');
});
