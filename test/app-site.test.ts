// End to end, as a user: the example app on 3 virtual servers behind the router.
// Killing a VS, rolling out a new release and rolling back must each cost 0 requests.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFarmProcess, ok, removeDir, REPO, type FarmProcess } from './helpers/farm-process.ts';
import { get, requestLoop } from './helpers/http.ts';
import { waitFor } from '../src/lib/wait.ts';
import { processRunning } from '../src/lib/process-running.ts';

const HOST = 'shop.acme.test';

interface VsRow { vs: string; site: string; release: string; state?: string; pid?: number; restarts?: number }

describe('an app site with three replicas', () => {
  let farm: FarmProcess;
  let work = '';
  let v2Dir = '';

  const vsList = async (): Promise<VsRow[]> =>
    (JSON.parse((await ok(farm.cli(['vs', 'list', '--json']))).stdout) as { virtualServers: VsRow[] }).virtualServers.filter((v) => v.site === 'shop');
  const version = async (): Promise<string> => JSON.parse((await get(farm.routerUrl, HOST)).body).version as string;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'corral-app-'));
    v2Dir = join(work, 'node-app-v2');
    await cp(join(REPO, 'examples', 'node-app'), v2Dir, { recursive: true });
    await writeFile(join(v2Dir, 'VERSION'), '2\n');
    farm = await startFarmProcess();
    await ok(farm.cli(['customer', 'create', 'acme']));
    await ok(farm.cli(['site', 'create', 'shop', '--customer', 'acme', '--kind', 'app', '--command', 'node server.js',
      '--health', '/health', '--replicas', '3', '--domain', HOST]));
    await ok(farm.cli(['deploy', join(REPO, 'examples', 'node-app'), '--site', 'shop']));
  });
  after(async () => {
    await farm?.stop();
    await removeDir(farm?.dir ?? '');
    await removeDir(work);
  });

  it('spreads requests over the three virtual servers', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const r = await get(farm.routerUrl, HOST);
      assert.equal(r.status, 200);
      seen.add(JSON.parse(r.body).vs as string);
    }
    const running = (await vsList()).map((v) => v.vs).sort();
    assert.equal(running.length, 3);
    assert.deepEqual([...seen].sort(), running);
  });

  it('loses no request when a virtual server is killed with SIGKILL, and the VS comes back', async () => {
    const [victim] = await vsList();
    assert.ok(victim?.pid);
    const loop = requestLoop(farm.routerUrl, HOST, { max: 600, concurrency: 4 });
    await waitFor(() => loop.result.total > 100, { what: 'traffic' });
    process.kill(-victim.pid, 'SIGKILL');
    const res = await loop.done;
    assert.ok(res.total >= 500, `sent ${res.total}`);
    assert.deepEqual(res.failed, [], `${res.failed.length} of ${res.total} failed`);
    const back = await waitFor(async () => {
      const v = (await vsList()).find((x) => x.vs === victim.vs);
      return v && v.state === 'ready' && v.pid !== victim.pid ? v : undefined;
    }, { timeoutMs: 20_000, what: 'the killed VS to be ready again' });
    assert.ok((back.restarts ?? 0) >= 1);
  });

  it('rolls out a new release under load with 0 failures, then stops the old servers', async () => {
    const before = (await vsList()).map((v) => v.vs);
    assert.equal(await version(), '1');
    const loop = requestLoop(farm.routerUrl, HOST, { concurrency: 4 });
    await waitFor(() => loop.result.total > 50, { what: 'traffic' });
    await ok(farm.cli(['deploy', v2Dir, '--site', 'shop']));
    await waitFor(async () => (await version()) === '2', { what: 'v2 answers' });
    await waitFor(() => loop.result.bodies.slice(-20).every((b) => JSON.parse(b).version === '2'), { what: 'only v2 answers' });
    const res = await loop.stop();
    assert.deepEqual(res.failed, [], `${res.failed.length} of ${res.total} failed`);
    const versions = res.bodies.map((b) => JSON.parse(b).version as string);
    assert.equal(versions.lastIndexOf('1') < versions.indexOf('2') + 40, true, 'answers switch from v1 to v2 (no long mix)');
    await waitFor(async () => {
      const now = await vsList();
      return now.length === 3 && now.every((v) => v.release === 'v2' && !before.includes(v.vs));
    }, { timeoutMs: 20_000, what: 'old virtual servers stopped' });
  });

  it('rolls back under load with 0 failures', async () => {
    const loop = requestLoop(farm.routerUrl, HOST, { concurrency: 4 });
    await waitFor(() => loop.result.total > 50, { what: 'traffic' });
    await ok(farm.cli(['rollback', 'shop']));
    await waitFor(async () => (await version()) === '1', { timeoutMs: 30_000, what: 'v1 answers again' });
    const res = await loop.stop();
    assert.deepEqual(res.failed, [], `${res.failed.length} of ${res.total} failed`);
    await waitFor(async () => {
      const now = await vsList();
      return now.length === 3 && now.every((v) => v.release === 'v1');
    }, { timeoutMs: 20_000, what: 'only v1 servers left' });
  });

  // On the process runtime a killed farm's virtual servers live on as orphans until the next
  // start stops them. On the namespace runtime bubblewrap's --die-with-parent kills each guest
  // with its engine, so none runs unsupervised; the next start removes what they left
  // (cgroups, mounts). Either way the next start logs what it reaped and brings the site back.
  it('reaps the virtual servers orphaned by a killed farm, and brings the site back', async () => {
    const runtime = /\((process|namespace) runtime/.exec(farm.output())?.[1];
    assert.ok(runtime, `the banner names the runtime:\n${farm.output()}`);
    const orphans = (await vsList()).map((v) => v.pid!);
    assert.equal(orphans.length, 3);
    farm.child.kill('SIGKILL');
    await farm.stop();
    if (runtime === 'process') assert.ok(orphans.every(processRunning), 'with the farm killed, its virtual servers are orphans');
    else await waitFor(() => orphans.every((pid) => !processRunning(pid)), { timeoutMs: 10_000, what: 'guests killed with their engine' });
    farm = await startFarmProcess({ dir: farm.dir });
    await waitFor(() => orphans.every((pid) => !processRunning(pid)), { timeoutMs: 20_000, what: 'orphans reaped' });
    await waitFor(async () => (await readFile(join(farm.dir, 'logs', 'corral.log'), 'utf8')).includes('"vs.orphan_reaped"'), { timeoutMs: 20_000, what: 'the start logging what it reaped' });
    await waitFor(async () => {
      const now = await vsList();
      return now.length === 3 && now.every((v) => v.state === 'ready' && !orphans.includes(v.pid!));
    }, { timeoutMs: 30_000, what: 'three fresh virtual servers' });
    await waitFor(async () => (await get(farm.routerUrl, HOST)).status === 200, { timeoutMs: 20_000, what: 'site served again' });
  });

  it('shows the site in `corral status` and its logs in `corral logs`', async () => {
    const st = await ok(farm.cli(['status']));
    assert.match(st.stdout, /shop\s+app\s+v1\s+3\/3/);
    const logs = await ok(farm.cli(['logs', 'shop']));
    assert.match(logs.stdout, /shop-[0-9a-f]+ \| /);
  });
});
