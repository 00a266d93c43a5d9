// Memory as a placement rule on a real farm: `corral up --reserved-memory <all but 1 GiB>
// --memory-overcommit 1` leaves 1024 MiB for guests. A site of two 256 MiB servers (the
// default limit) is placed and serves; a site asking --memory 768 is left unplaced, and
// `corral deploy`, `corral status` and the status API say why; `corral engine list` shows
// what is reserved. Scaled down, the first makes room and the second is placed. Bad flag
// values stop `corral up` with one line.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { totalmem } from 'node:os';
import { join } from 'node:path';
import { adminGet, ok, REPO, runCli, startFarmProcess, stopAndRemove, type FarmProcess } from './helpers/farm-process.ts';
import { waitFor } from '../src/lib/wait.ts';
import type { FarmStatus, SiteStatus } from '../src/model/index.ts';

const MACHINE_MB = Math.floor(totalmem() / 2 ** 20);
const STATIC = join(REPO, 'examples', 'static-site');
let farm: FarmProcess;
let engineId = '';

before(async () => {
  farm = await startFarmProcess({ extraArgs: ['--router-workers', '1', '--no-databases', '--reserved-memory', String(MACHINE_MB - 1024), '--memory-overcommit', '1'] });
  await ok(farm.cli(['customer', 'create', 'acme']));
  await ok(farm.cli(['site', 'create', 'small', '--customer', 'acme', '--kind', 'static', '--no-pooled', '--replicas', '2', '--domain', 'small.test']));
  await ok(farm.cli(['site', 'create', 'big', '--customer', 'acme', '--kind', 'static', '--no-pooled', '--replicas', '1', '--domain', 'big.test']));
  await ok(farm.cli(['site', 'set', 'big', '--memory', '768']));
  engineId = (await api<{ engines: { id: string }[] }>('/v1/engines')).engines[0]!.id;
});
after(() => stopAndRemove(farm));

const api = <T>(path: string): Promise<T> => adminGet<T>(farm, path);

test('an engine with 1024 MiB for guests: two default servers placed, a 768 MiB one unplaced with why, everywhere', async () => {
  await ok(farm.cli(['deploy', STATIC, '--site', 'small']));
  const reason = `no engine has 768 MiB free (most free: 512 MiB on ${engineId})`;
  const deploy = await farm.cli(['deploy', STATIC, '--site', 'big', '--timeout', '3']);
  assert.equal(deploy.code, 1, deploy.stdout + deploy.stderr);
  assert.ok(deploy.stderr.includes(`rollout of big v1 not ready after 3 s (0/1 ready): 1 not placed: ${reason}`), deploy.stderr);

  const big = await api<SiteStatus>('/v1/sites/big/status');
  assert.deepEqual([big.unplaced?.count, big.unplaced?.reason], [1, reason]);
  assert.deepEqual((await api<FarmStatus>('/v1/status')).rollouts?.big?.unplaced, big.unplaced);
  assert.equal((await api<SiteStatus>('/v1/sites/small/status')).unplaced, undefined, 'the smaller site is placed');
  const status = await ok(farm.cli(['status']));
  assert.ok(status.stdout.split('\n').some((line) => /^big\s/.test(line) && line.includes(`1 unplaced: ${reason}`)), status.stdout);
  assert.match(status.stdout, /^small\s.*\s2\/2\s/m);

  const engines = await ok(farm.cli(['engine', 'list']));
  assert.match(engines.stdout, new RegExp(`^${engineId}\\s.*\\s512/1024 MiB\\s`, 'm'));
});

test('the smaller site scaled down to one server: the room is made and the 768 MiB server placed', async () => {
  await ok(farm.cli(['scale', 'small', '1']));
  await waitFor(async () => (await api<SiteStatus>('/v1/sites/big/status')).unplaced === undefined, { timeoutMs: 30_000, what: 'big placed' });
  const engines = JSON.parse((await ok(farm.cli(['engine', 'list', '--json']))).stdout) as { engines: { use: { memoryMb: number } }[] };
  assert.deepEqual(engines.engines.map((e) => e.use.memoryMb), [1024]);
});

test('corral up refuses a bad --memory-overcommit or --reserved-memory with one line', async () => {
  for (const [flag, bad, message] of [
    ['--memory-overcommit', '0', 'a number from 0.1 to 100'],
    ['--memory-overcommit', 'lots', 'a number from 0.1 to 100'],
    ['--reserved-memory', String(MACHINE_MB), `a number of MiB from 0 to ${MACHINE_MB - 1} (this machine has ${MACHINE_MB} MiB)`],
    ['--reserved-memory', '1.5', `a number of MiB from 0 to ${MACHINE_MB - 1} (this machine has ${MACHINE_MB} MiB)`],
  ] as const) {
    const r = await runCli(['up', '--dir', '/nonexistent/never', flag, bad]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `error: ${flag} must be ${message}, got "${bad}"\n`);
  }
});
