import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { silentLogger } from '../lib/log.ts';
import { waitFor } from '../lib/wait.ts';
import { createAddressPool } from './address-pool.ts';
import { createProcessRuntime, type ProcessRuntimeOptions } from './process-runtime.ts';
import { groupAlive } from './process-group.ts';
import { runtimeContract } from './runtime.contract.ts';
import { appSpec, onCleanup, httpGet, processAlive, tempDir, writeTestRelease } from './testing.ts';

function make(base: string, extra: Partial<ProcessRuntimeOptions> = {}) {
  return createProcessRuntime({ runDir: path.join(base, 'run'), log: silentLogger, ...extra });
}

runtimeContract('process', (base) => make(base));

test('each VS gets its own 127.77.x.y address and a distinct port', async (t) => {
  const base = await tempDir(t);
  await writeTestRelease(path.join(base, 'release'));
  const runtime = make(base, { addresses: createAddressPool() });
  onCleanup(t, () => runtime.destroy());
  const vss = await Promise.all(['u-1', 'u-2', 'u-3'].map((n) => runtime.start(appSpec(base, n))));
  assert.equal(new Set(vss.map((v) => v.address)).size, 3);
  for (const v of vss) assert.match(v.address, /^127\.77\.\d+\.\d+$/);
  for (const [i, v] of vss.entries()) {
    const res = await waitFor(() => httpGet(v.address, v.port), { what: `u-${i + 1}` });
    assert.equal(JSON.parse(res.body).vs, `u-${i + 1}`);
  }
  await runtime.stop('u-2', 2_000);
  const next = await runtime.start(appSpec(base, 'u-4'));
  assert.ok(!vss.some((v) => v.address === next.address && v.address !== vss[1]!.address));
});

test('rotates the log file at the size cap', async (t) => {
  const base = await tempDir(t);
  await writeTestRelease(path.join(base, 'release'));
  const runtime = make(base, { logMaxBytes: 4_096 });
  onCleanup(t, () => runtime.destroy());
  const spec = appSpec(base, 'chatty', { SPAM: '200' });
  await runtime.start(spec);
  await waitFor(async () => /listening on/.test(await readFile(spec.logFile, 'utf8').catch(() => '')), { what: 'last line' });
  const logs = (await readdir(path.dirname(spec.logFile))).sort();
  assert.deepEqual(logs, ['chatty.log', 'chatty.log.1']);
  assert.ok((await readFile(`${spec.logFile}.1`)).length <= 4_096);
  assert.ok((await readFile(spec.logFile)).length <= 4_096);
});

test('writes a pidfile while the VS runs and removes it on exit', async (t) => {
  const base = await tempDir(t);
  await writeTestRelease(path.join(base, 'release'));
  const runtime = make(base);
  onCleanup(t, () => runtime.destroy());
  const vs = await runtime.start(appSpec(base, 'pid-a'));
  const file = path.join(base, 'run', 'pid-a.pid.json');
  const rec = await waitFor(async () => JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>, { what: 'pidfile' });
  assert.equal(rec.pid, vs.pid);
  assert.equal(rec.pgid, vs.pid);
  assert.equal(rec.vs, 'pid-a');
  await runtime.stop('pid-a', 2_000);
  await waitFor(async () => (await readdir(path.join(base, 'run'))).length === 0, { what: 'pidfile removed' });
});

test('reapOrphans kills what an earlier runtime on the same runDir left running', async (t) => {
  const base = await tempDir(t);
  await writeTestRelease(path.join(base, 'release'));
  const crashed = make(base);
  onCleanup(t, () => crashed.destroy());
  const vs = await crashed.start(appSpec(base, 'orphan-a', { IGNORE_TERM: '1' }));
  await waitFor(() => httpGet(vs.address, vs.port), { what: 'orphan to answer' });
  // Not ours: a pidfile naming a live process without CORRAL_VS (this test process), and a malformed one.
  await writeFile(path.join(base, 'run', 'impostor.pid.json'), JSON.stringify({ pid: process.pid, pgid: process.pid, vs: 'impostor', startedAt: '' }));
  await writeFile(path.join(base, 'run', 'junk.pid.json'), '{not json');

  const fresh = make(base);
  onCleanup(t, () => fresh.destroy());
  assert.equal(await fresh.reapOrphans(), 1);
  assert.equal((await vs.exited).signal, 'SIGKILL');
  assert.ok(!processAlive(vs.pid));
  assert.deepEqual(await readdir(path.join(base, 'run')), []);
  assert.equal(await fresh.reapOrphans(), 0);
});

test('an unexpected exit takes the rest of the process group down', async (t) => {
  const base = await tempDir(t);
  await writeTestRelease(path.join(base, 'release'));
  const runtime = make(base);
  onCleanup(t, () => runtime.destroy());
  const spec = { ...appSpec(base, 'group-a'), command: `sleep 300 & "${process.execPath}" -e "setTimeout(() => process.exit(4), 100)"` };
  const vs = await runtime.start(spec);
  assert.equal((await vs.exited).code, 4);
  await waitFor(async () => !(await groupAlive(vs.pid)), { what: 'group gone', timeoutMs: 1_000 });
});

test('stop gives a shell-wrapped app its grace period (SIGTERM goes to the whole group)', async (t) => {
  const base = await tempDir(t);
  await writeTestRelease(path.join(base, 'release'));
  const runtime = make(base);
  onCleanup(t, () => runtime.destroy());
  const spec = { ...appSpec(base, 'group-b'), command: `"${process.execPath}" server.cjs; echo after` };
  const vs = await runtime.start(spec);
  await waitFor(() => httpGet(vs.address, vs.port), { what: 'app to answer' });
  await runtime.stop('group-b', 5_000);
  assert.ok(!(await groupAlive(vs.pid)));
  await waitFor(async () => /got SIGTERM/.test(await readFile(spec.logFile, 'utf8')), { what: 'app saw SIGTERM' });
});

test('stop resolves right after the app exits: the exit is awaited, not polled for', async (t) => {
  const base = await tempDir(t);
  await writeTestRelease(path.join(base, 'release'));
  const runtime = make(base);
  onCleanup(t, () => runtime.destroy());
  const gaps: number[] = [];
  const lags: number[] = [];
  for (let i = 0; i < 7; i++) {
    const vs = await runtime.start(appSpec(base, `prompt-${i}`));
    await waitFor(() => httpGet(vs.address, vs.port), { what: 'app to answer' });
    const exitAt = vs.exited.then(() => performance.now());
    await runtime.stop(`prompt-${i}`, 30_000);
    gaps.push(performance.now() - (await exitAt));
    // how late a timer runs on this machine right now: a loaded machine delays every step alike
    const t0 = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 0));
    lags.push(performance.now() - t0);
  }
  // A 20 ms poll would add 10 ms to the median gap (uniform over 0–20) on top of the check that
  // the rest of the group is gone; the median, against the median timer lag, leaves room for
  // the one or two slow looks a loaded machine gives that check.
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  assert.ok(median(gaps) < 15 + 2 * median(lags), `median gap from exit to stop resolving over 15 ms: gaps from exit to stop resolving: ${gaps.map((g) => g.toFixed(1)).join(', ')} ms (timer lag ${lags.map((l) => l.toFixed(1)).join(', ')} ms)`);
});
