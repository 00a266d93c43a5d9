import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { silentLogger } from '../lib/log.ts';
import { waitFor } from '../lib/wait.ts';
import { createProcessRuntime } from './process-runtime.ts';
import type { ExitInfo, Runtime, VsSpec } from './runtime.ts';
import { createSupervisor, type SupervisorTiming, type VsSnapshot } from './supervisor.ts';
import { appSpec, httpGet, onCleanup, processAlive, tempDir, writeTestRelease } from './testing.ts';

const FAST: Partial<SupervisorTiming> = { startupPollMs: 10, pollMs: 20, checkTimeoutMs: 500, unhealthyAfter: 2, backoffBaseMs: 10, backoffMaxMs: 80, backoffResetMs: 10_000 };

/** A runtime whose VSs are promises the test settles: crash() ends the current one. */
function fakeRuntime() {
  const starts: number[] = [];
  let exit: ((info: ExitInfo) => void) | undefined;
  const runtime: Runtime = {
    name: 'process',
    async start() {
      starts.push(Date.now());
      const exited = new Promise<ExitInfo>((r) => (exit = r));
      return { address: '127.0.0.1', port: 1, pid: 1000 + starts.length, exited };
    },
    async stop() {
      exit?.({ code: null, signal: 'SIGTERM', oom: false });
    },
    async reapOrphans() {
      return 0;
    },
    async destroy() {},
  };
  return { runtime, starts, crash: (code = 1) => exit?.({ code, signal: null, oom: false }) };
}

function supervise(t: TestContext, runtime: Runtime, spec: VsSpec, timing: Partial<SupervisorTiming>, healthy: () => boolean = () => true) {
  const states: VsSnapshot[] = [];
  const sup = createSupervisor({ runtime, spec, timing, log: silentLogger, healthCheck: async () => healthy(), onState: (s) => states.push(s) });
  onCleanup(t, () => sup.stop(0));
  sup.start();
  return { sup, states, names: () => states.map((s) => s.state) };
}

const fakeSpec = { ...appSpec('/nonexistent', 'fake-1') };

test('restarts a crashing VS with exponential backoff and counts restarts', async (t) => {
  const fake = fakeRuntime();
  const { sup, states } = supervise(t, fake.runtime, fakeSpec, FAST);
  for (let i = 1; i <= 6; i++) {
    await waitFor(() => fake.starts.length === i && sup.snapshot.state === 'ready', { what: `start ${i} ready` });
    if (i < 6) fake.crash(i);
  }
  assert.deepEqual(states.filter((s) => s.state === 'backoff').map((s) => s.backoffMs), [10, 20, 40, 80, 80]);
  const gaps = fake.starts.slice(1).map((s, i) => s - fake.starts[i]!);
  for (const [i, want] of [10, 20, 40, 80, 80].entries()) assert.ok(gaps[i]! >= want - 2, `gap ${i} was ${gaps[i]} ms, want ≥ ${want}`);
  assert.equal(sup.snapshot.restarts, 5);
  assert.deepEqual(sup.snapshot.lastExit && { code: sup.snapshot.lastExit.code, oom: sup.snapshot.lastExit.oom }, { code: 5, oom: false });
});

test('the backoff resets after the VS stayed ready long enough', async (t) => {
  const fake = fakeRuntime();
  let clock = 0;
  const states: VsSnapshot[] = [];
  const sup = createSupervisor({ runtime: fake.runtime, spec: fakeSpec, timing: { ...FAST, backoffResetMs: 1_000 }, log: silentLogger, now: () => clock, healthCheck: async () => true, onState: (s) => states.push(s) });
  onCleanup(t, () => sup.stop(0));
  sup.start();
  for (let i = 1; i <= 4; i++) {
    await waitFor(() => fake.starts.length === i && sup.snapshot.state === 'ready', { what: `start ${i}` });
    clock += i === 4 ? 1_000 : 999; // the fourth run stays ready long enough
    fake.crash();
  }
  await waitFor(() => fake.starts.length === 5, { what: 'start 5' });
  assert.deepEqual(states.filter((s) => s.state === 'backoff').map((s) => s.backoffMs), [10, 20, 40, 10]);
});

test('reports crashed then backoff with the exit, and becomes ready again', async (t) => {
  const fake = fakeRuntime();
  const { names, states } = supervise(t, fake.runtime, fakeSpec, FAST);
  await waitFor(() => names().includes('ready'), { what: 'ready' });
  fake.crash(7);
  await waitFor(() => names().filter((s) => s === 'ready').length === 2, { what: 'ready again' });
  assert.deepEqual(names(), ['starting', 'starting', 'ready', 'crashed', 'backoff', 'starting', 'ready']);
  const crashed = states.find((s) => s.state === 'crashed')!;
  assert.equal(crashed.lastExit?.code, 7);
  assert.equal(crashed.pid, undefined);
  assert.equal(states.at(-1)!.restarts, 1);
});

test('a ready VS turns unhealthy after consecutive failed checks and recovers', async (t) => {
  const fake = fakeRuntime();
  let healthy = true;
  const { sup, names } = supervise(t, fake.runtime, fakeSpec, FAST, () => healthy);
  await waitFor(() => sup.snapshot.state === 'ready', { what: 'ready' });
  healthy = false;
  await waitFor(() => sup.snapshot.state === 'unhealthy', { what: 'unhealthy' });
  healthy = true;
  await waitFor(() => sup.snapshot.state === 'ready', { what: 'recovered' });
  assert.deepEqual(names(), ['starting', 'starting', 'ready', 'unhealthy', 'ready']);
  assert.equal(fake.starts.length, 1, 'unhealthy is not restarted');
});

test('a VS that never passes its health check within the startup deadline is killed and restarted', async (t) => {
  const fake = fakeRuntime();
  const { names, states } = supervise(t, fake.runtime, fakeSpec, { ...FAST, startupTimeoutMs: 50 }, () => false);
  await waitFor(() => fake.starts.length >= 2, { what: 'second start' });
  assert.deepEqual(names().slice(0, 4), ['starting', 'starting', 'crashed', 'backoff']);
  // its exit says the engine stopped it for its deadline, not that something killed it
  assert.equal(states.find((s) => s.state === 'crashed')?.lastExit?.startupTimeoutMs, 50);
});

test('with the process runtime: ready after the health check passes, restarted after a crash, stopped gracefully', async (t) => {
  const base = await tempDir(t);
  await writeTestRelease(path.join(base, 'release'));
  const runtime = createProcessRuntime({ runDir: path.join(base, 'run'), log: silentLogger });
  onCleanup(t, () => runtime.destroy());
  const failFile = path.join(base, 'fail-health');
  await writeFile(failFile, '');
  const spec = appSpec(base, 'sup-a', { FAIL_HEALTH_FILE: failFile });
  spec.healthPath = '/healthz';
  const states: VsSnapshot[] = [];
  const sup = createSupervisor({ runtime, spec, log: silentLogger, timing: FAST, onState: (s) => states.push(s) });
  onCleanup(t, () => sup.stop(0));
  sup.start();

  const starting = await waitFor(() => states.find((s) => s.state === 'starting' && s.pid), { what: 'spawned' });
  await waitFor(() => httpGet(starting.address!, starting.port!), { what: 'listening' });
  assert.equal(sup.snapshot.state, 'starting', 'not ready while the health check fails');
  await rm(failFile);
  await waitFor(() => sup.snapshot.state === 'ready', { what: 'ready' });

  process.kill(starting.pid!, 'SIGKILL');
  await waitFor(() => sup.snapshot.restarts === 1 && sup.snapshot.state === 'ready', { what: 'restarted and ready', timeoutMs: 5_000 });
  assert.equal(sup.snapshot.lastExit?.signal, 'SIGKILL');
  const second = sup.snapshot;
  assert.notEqual(second.pid, starting.pid);
  assert.equal((await httpGet(second.address!, second.port!)).status, 200);

  await sup.stop(2_000);
  assert.equal(sup.snapshot.state, 'stopped');
  assert.deepEqual(states.slice(-2).map((s) => s.state), ['stopping', 'stopped']);
  assert.ok(!processAlive(second.pid!));
});

test('a spec the OS or node refuses (NUL in env, an unsendable health path) backs off or fails its checks, never throws', async (t) => {
  const base = await tempDir(t);
  await writeTestRelease(path.join(base, 'release'));
  const runtime = createProcessRuntime({ runDir: path.join(base, 'run'), log: silentLogger });
  onCleanup(t, () => runtime.destroy());
  const errors: unknown[] = [];
  const onError = (err: unknown) => errors.push(err);
  process.on('uncaughtException', onError);
  process.on('unhandledRejection', onError);
  onCleanup(t, () => {
    process.off('uncaughtException', onError);
    process.off('unhandledRejection', onError);
  });

  // spawn refuses a NUL in the environment: a failed start, then backoff, again and again
  const nul = createSupervisor({ runtime, spec: appSpec(base, 'nul-env', { SECRET: 'a\u0000b' }), timing: FAST, log: silentLogger, onState: () => {} });
  onCleanup(t, () => nul.stop(0));
  nul.start();
  await waitFor(() => nul.snapshot.state === 'backoff' && nul.snapshot.restarts >= 2, { what: 'repeated backoff' });

  // the real health check (node refuses to send the path): the VS runs but never becomes ready
  const bad = createSupervisor({ runtime, spec: { ...appSpec(base, 'bad-path'), healthPath: '/x\r\nHost: evil' }, timing: FAST, log: silentLogger, onState: () => {} });
  onCleanup(t, () => bad.stop(0));
  bad.start();
  await waitFor(() => bad.snapshot.pid !== undefined, { what: 'the VS started' });
  const { address, port } = bad.snapshot;
  await waitFor(async () => (await httpGet(address!, port!, '/')).status === 200, { what: 'the app answers' });
  assert.equal(bad.snapshot.state, 'starting', 'not ready: its checks fail');
  assert.deepEqual(errors, []);
});

test('while starting, checks come every 10 ms for startupFastMs: ready within a few ms of the first passing check', async (t) => {
  const series = async (startupFastMs: number) => {
    const fake = fakeRuntime();
    const checks: number[] = [];
    let first: number | undefined;
    const { sup } = supervise(t, fake.runtime, { ...fakeSpec, name: `fast-${startupFastMs}` }, { ...FAST, startupPollMs: 100, startupFastMs }, () => {
      const now = performance.now();
      first ??= now;
      checks.push(now);
      return now - first >= 300;
    });
    await waitFor(() => sup.snapshot.state === 'ready', { what: 'ready' });
    await sup.stop(0);
    return checks.length;
  };
  // 10 ms apart: about 30 checks in the first 300 ms (timers slip on a busy machine: at least 10)
  const fast = await series(1_000);
  assert.ok(fast >= 10, `${fast} checks in the first 300 ms, want ≥ 10`);
  // without the fast window: 10, 20, 40, 80, 100 … ms apart, 7 checks to pass the 300 ms mark (one or two more
  // where a loaded machine delays the ready transition), far fewer than the fast window's
  const doubling = await series(0);
  assert.ok(doubling <= 9 && doubling < fast, `${doubling} checks, want ≤ 9 and fewer than the fast window's ${fast} (doubling cadence)`);
});

test('a ready VS that keeps passing is checked every steadyPollMs; its first failed check brings back pollMs, and unhealthy follows at that pace', async (t) => {
  const fake = fakeRuntime();
  let healthy = true;
  const checks: { at: number; ok: boolean; ready: boolean }[] = [];
  const timing = { ...FAST, pollMs: 50, steadyAfter: 3, steadyPollMs: 1_500, unhealthyAfter: 2 };
  const { sup } = supervise(t, fake.runtime, fakeSpec, timing, () => {
    checks.push({ at: performance.now(), ok: healthy, ready: sup.snapshot.state === 'ready' });
    return healthy;
  });
  const whileReady = () => checks.filter((c) => c.ready);
  await waitFor(() => whileReady().length >= 3 + 2, { what: 'two steady checks', timeoutMs: 10_000 });
  // from the check that made it ready: three passes pollMs apart (timers slip on a busy machine: well under steadyPollMs), then steadyPollMs apart (never early)
  const first = checks.findIndex((c) => c.ready) - 1;
  const gaps = checks.slice(first + 1, first + 6).map((c, i) => c.at - checks[first + i]!.at);
  assert.ok(gaps.slice(0, 3).every((g) => g < 1_000), `gaps ${gaps.map(Math.round).join(', ')} ms: the first 3 should be ≈ 50 ms`);
  assert.ok(gaps.slice(3).every((g) => g >= 1_400), `gaps ${gaps.map(Math.round).join(', ')} ms: then ≈ 1,500 ms`);

  healthy = false;
  await waitFor(() => sup.snapshot.state === 'unhealthy', { what: 'unhealthy', timeoutMs: 10_000 });
  // the failed checks made while it was still ready (a third may follow before the test looks): unhealthy after the second
  const failed = checks.filter((c) => !c.ok && c.ready);
  assert.equal(failed.length, 2);
  // the second failed check came pollMs after the first, not steadyPollMs
  assert.ok(failed[1]!.at - failed[0]!.at < 1_000, `${Math.round(failed[1]!.at - failed[0]!.at)} ms between the failed checks, want ≈ 50`);
  healthy = true;
  await waitFor(() => sup.snapshot.state === 'ready', { what: 'recovered' });
});
