// End to end, as a user: two quick deploys, the second never healthy. The servers the
// first deploy retired are still draining when it starts; they must not come back: only
// the release fully rolled out before (v2) serves, at full count, and v1 stops after its drain.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFarmProcess, ok, removeDir, REPO, type FarmProcess } from './helpers/farm-process.ts';
import { get } from './helpers/http.ts';
import { waitFor } from '../src/lib/wait.ts';

const HOST = 'mix.acme.test';

interface VsRow { vs: string; site: string; release: string; state?: string; restarts?: number; draining?: boolean }

let farm: FarmProcess;
let work = '';

const vsList = async (): Promise<VsRow[]> =>
  (JSON.parse((await ok(farm.cli(['vs', 'list', '--json']))).stdout) as { virtualServers: VsRow[] }).virtualServers.filter((v) => v.site === 'mix');

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'corral-rollout-failing-'));
  await cp(join(REPO, 'examples', 'node-app'), join(work, 'v2'), { recursive: true });
  await writeFile(join(work, 'v2', 'VERSION'), '2\n');
  await mkdir(join(work, 'crash'));
  await writeFile(join(work, 'crash', 'server.js'), 'process.exit(3);\n');
  farm = await startFarmProcess();
  await ok(farm.cli(['customer', 'create', 'acme']));
  // a drain long enough that v1 still drains when v3 is deployed, however slow the machine
  await ok(farm.cli(['site', 'create', 'mix', '--customer', 'acme', '--kind', 'app', '--command', 'node server.js',
    '--health', '/health', '--replicas', '2', '--domain', HOST, '--drain-timeout', '20']));
  await ok(farm.cli(['deploy', join(REPO, 'examples', 'node-app'), '--site', 'mix']));
});
after(async () => {
  await farm?.stop();
  await removeDir(farm?.dir ?? '');
  await removeDir(work);
});

it('a deploy that never gets healthy, started while the previous one drains, leaves the previous release serving alone', async () => {
  await ok(farm.cli(['deploy', join(work, 'v2'), '--site', 'mix']));
  const v1 = (await vsList()).filter((v) => v.release === 'v1').map((v) => v.vs);
  assert.equal(v1.length, 2, 'v1 drains (20 s) while v3 is deployed');
  await ok(farm.cli(['deploy', join(work, 'crash'), '--site', 'mix', '--no-wait']));
  // v3 has crashed at least once: the reconciler has planned the site with it for a while
  await waitFor(async () => (await vsList()).some((v) => v.release === 'v3' && (v.restarts ?? 0) >= 1), { timeoutMs: 30_000, what: 'a v3 server to crash' });
  const versions = new Set<string>();
  for (let i = 0; i < 16; i++) {
    const r = await get(farm.routerUrl, HOST);
    assert.equal(r.status, 200, r.body);
    versions.add(JSON.parse(r.body).version as string);
  }
  assert.deepEqual([...versions], ['2'], 'only v2 answers, never the draining v1');
  const now = await vsList();
  assert.equal(now.filter((v) => v.release === 'v2' && v.state === 'ready' && !v.draining).length, 2, 'v2 at full count');
  assert.ok(now.filter((v) => v1.includes(v.vs)).every((v) => v.draining === true || v.state !== 'ready'), 'v1 shown draining, not serving');
});
