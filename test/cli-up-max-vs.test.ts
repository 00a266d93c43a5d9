// `corral up --max-vs N`: the engine's capacity, shown by `corral status`; a bad value stops
// `corral up` before anything starts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ok, removeDir, runCli, startFarmProcess } from './helpers/farm-process.ts';

test('corral up --max-vs 3: the engine takes at most 3 virtual servers, and status says 0/3', async (t) => {
  const farm = await startFarmProcess({ extraArgs: ['--router-workers', '1', '--max-vs', '3'] });
  t.after(async () => {
    await farm.stop();
    await removeDir(farm.dir);
  });
  const status = await ok(farm.cli(['status']));
  assert.match(status.stdout, /^\S+\s+\S+\s+\d+\s+\d+ GiB\s+0\/3\s+up$/m);
  const engines = JSON.parse((await ok(farm.cli(['engine', 'list', '--json']))).stdout) as { engines: { capacity: { maxVirtualServers: number } }[] };
  assert.deepEqual(engines.engines.map((e) => e.capacity.maxVirtualServers), [3]);
});

test('corral up --max-vs refuses 0, 1.5 and words with one line', async () => {
  for (const bad of ['0', '1.5', 'lots']) {
    const r = await runCli(['up', '--dir', '/nonexistent/never', '--max-vs', bad]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `error: --max-vs must be a number from 1 to 10000, got "${bad}"\n`);
  }
  const help = await ok(runCli(['up', '--help']));
  assert.match(help.stdout, /--max-vs <n>[\s\S]*\(default:\s+"64"\)/);
});
