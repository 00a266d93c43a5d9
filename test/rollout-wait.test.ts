// End to end, as a customer: `corral rollback` and a `corral site set` that starts new servers
// return only once the rollout is done — or fail, exit 1, naming what the new servers do,
// while the servers started before answer on — and `--no-wait` returns at once.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFarmProcess, ok, removeDir, REPO, type FarmProcess } from './helpers/farm-process.ts';
import { requestLoop, versionsServed } from './helpers/http.ts';
import { waitFor } from '../src/lib/wait.ts';

const HOST = 'shop.acme.test';
/** Node refuses to start: the module NODE_OPTIONS asks it to load first does not exist. */
const CRASHING_ENV = 'NODE_OPTIONS=--require=/corral-test/no-such-module.js';

let farm: FarmProcess;
let work = '';

const vsList = async (): Promise<{ vs: string; site: string; release: string }[]> =>
  (JSON.parse((await ok(farm.cli(['vs', 'list', '--json']))).stdout) as { virtualServers: { vs: string; site: string; release: string }[] }).virtualServers.filter((v) => v.site === 'shop');

const versions = (n: number) => versionsServed(farm.routerUrl, HOST, n);

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'corral-rollout-wait-'));
  await cp(join(REPO, 'examples', 'node-app'), join(work, 'v2'), { recursive: true });
  await writeFile(join(work, 'v2', 'VERSION'), '2\n');
  farm = await startFarmProcess();
  await ok(farm.cli(['customer', 'create', 'acme']));
  // drain timeout 0: a server leaving the route stops after the farm's drain delay (1.5 s)
  await ok(farm.cli(['site', 'create', 'shop', '--customer', 'acme', '--kind', 'app', '--command', 'node server.js',
    '--health', '/health', '--replicas', '2', '--domain', HOST, '--drain-timeout', '0']));
  await ok(farm.cli(['deploy', join(REPO, 'examples', 'node-app'), '--site', 'shop']));
  await ok(farm.cli(['deploy', join(work, 'v2'), '--site', 'shop']));
});
after(async () => {
  await farm?.stop();
  await removeDir(farm?.dir ?? '');
  await removeDir(work);
});

it('corral rollback returns once the release it goes back to answers, and only it', async () => {
  // v1's servers are gone: the rollback starts new ones
  await waitFor(async () => (await vsList()).every((v) => v.release === 'v2'), { timeoutMs: 30_000, what: 'v1 servers stopped' });
  const r = await ok(farm.cli(['rollback', 'shop']));
  assert.match(r.stdout, /^site shop rolling back to release v1 \(from v2\)$/m);
  assert.match(r.stdout, /^rolled back shop to v1 in \d+\.\d s$/m);
  assert.match(r.stderr, /^rollout replicas ready 2\/2 \(release v1\)/m);
  assert.deepEqual([...new Set(await versions(8))], ['1'], 'every answer from v1 at once');
});

it('corral site set --env that makes the app crash at start exits 1 naming the failure (at --timeout with --no-fail-fast); the servers started before answer 200 throughout', async () => {
  const loop = requestLoop(farm.routerUrl, HOST, { concurrency: 2 });
  await waitFor(() => loop.result.total > 10, { what: 'traffic' });
  const started = Date.now();
  const r = await farm.cli(['site', 'set', 'shop', '--env', CRASHING_ENV, '--timeout', '15s', '--no-fail-fast']);
  const res = await loop.stop();
  assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
  assert.ok(Date.now() - started >= 15_000, 'waited for the rollout until its timeout');
  assert.match(r.stdout, /^site shop updated$/m, 'the setting is stored');
  assert.doesNotMatch(r.stdout, /rolled out/);
  assert.match(r.stderr, /^error: rollout of shop's new env not ready after 15 s \(0\/2 ready\): new servers [^;]*last exit code 1\); the servers started before serve on; see `corral logs shop`$/m);
  assert.deepEqual(res.failed, [], `${res.failed.length} of ${res.total} failed`);
  assert.deepEqual([...new Set(res.bodies.map((b) => JSON.parse(b).version as string))], ['1']);
  // the release is the same: corral status counts the servers serving and names the stuck rollout, not 2/2 ✓
  const status = await ok(farm.cli(['status']));
  assert.match(status.stdout, /^shop\s+app\s+v1\s+2\/2 rollout stuck 0\/2\s/m, status.stdout);
  assert.doesNotMatch(status.stdout, /draining/, 'nothing leaves the route');

  // taking the variable away is a rollout too: the servers started without it are current again
  const back = await ok(farm.cli(['site', 'set', 'shop', '--unset-env', 'NODE_OPTIONS']));
  assert.match(back.stdout, /^rolled out shop's new env in \d+\.\d s$/m);
  assert.deepEqual([...new Set(await versions(4))], ['1']);
});

it('corral site set that starts new servers waits until they alone answer; --no-wait and a change that starts none return at once', async () => {
  const set = await ok(farm.cli(['site', 'set', 'shop', '--env', 'APP_VERSION=7']));
  assert.match(set.stdout, /^rolled out shop's new env in \d+\.\d s$/m);
  assert.deepEqual([...new Set(await versions(8))], ['7'], 'every answer from a server started with the new environment');

  const started = Date.now();
  const noWait = await ok(farm.cli(['site', 'set', 'shop', '--env', CRASHING_ENV, '--no-wait']));
  assert.match(noWait.stdout, /^rolling out shop's new env \(not waited for: corral status shop shows when it serves\)$/m);
  assert.ok(Date.now() - started < 20_000, `${Date.now() - started} ms: not the 120 s a rollout that never gets ready is waited for`);
  const domain = await ok(farm.cli(['site', 'set', 'shop', '--add-domain', `www.${HOST}`]));
  assert.doesNotMatch(domain.stdout + domain.stderr, /roll/);
  assert.deepEqual([...new Set(await versions(4))], ['7'], 'the servers started before serve on');
  await ok(farm.cli(['site', 'set', 'shop', '--unset-env', 'NODE_OPTIONS']));
});
