// `corral up` and its signals, as a user meets them, on a farm with a site and a database:
// - Ctrl-C from a terminal (SIGINT to the whole process group) stops the farm without
//   "PostgreSQL exited; restarting": PostgreSQL is stopped in the farm's order, not by the
//   terminal's signal ahead of it;
// - SIGINT during start-up (here: as soon as the farm's PostgreSQL is running, before
//   "Corral is up.") stops what has started and exits as a Ctrl-C does later, with no
//   PostgreSQL left behind (it was Node's default: an exit on the spot, PostgreSQL orphaned);
// - after `corral up` was killed outright (SIGKILL), the next one stops the PostgreSQL left
//   running on its folder and runs its own, without "exited; restarting" over and over.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { CORRAL_BIN, REPO, ok, removeDir, startFarmProcess, type FarmProcess } from './helpers/farm-process.ts';
import { get } from './helpers/http.ts';
import { waitFor } from '../src/lib/wait.ts';
import { processRunning } from '../src/lib/process-running.ts';
import { postgresMissing } from '../src/database/testing.ts';

const skip = postgresMissing();
/** The process runtime: what is under test is the farm's stop, not a guest's isolation. */
const ARGS = ['--runtime', 'process', '--router-workers', '1'];
const CRASHED = /PostgreSQL exited; restarting/;

describe('corral up and its signals', { skip }, () => {
  let farm: FarmProcess | undefined;
  let dir = '';
  const children: ChildProcess[] = [];

  before(async () => {
    farm = await startFarmProcess({ extraArgs: ARGS, terminal: true });
    dir = farm.dir;
    await ok(farm.cli(['customer', 'create', 'acme']));
    await ok(farm.cli(['db', 'create', 'orders', '--customer', 'acme']));
    await ok(farm.cli(['site', 'create', 'www', '--customer', 'acme', '--kind', 'static', '--domain', 'www.acme.test']));
    await ok(farm.cli(['deploy', join(REPO, 'examples', 'static-site'), '--site', 'www']));
    await waitFor(async () => (await get(farm!.routerUrl, 'www.acme.test')).status === 200, { timeoutMs: 20_000, what: 'the site' });
  });
  after(async () => {
    await farm?.stop();
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    const pid = await postmasterPid(dir);
    if (pid !== undefined && processRunning(pid)) process.kill(pid, 'SIGQUIT');
    await removeDir(dir);
  });

  it("a terminal's Ctrl-C stops PostgreSQL in the farm's order, not as a crash", async () => {
    const pg = await postmasterPid(dir);
    assert.ok(pg !== undefined && processRunning(pg), 'the farm has its PostgreSQL');
    // whether the terminal's SIGINT beat the farm's own stop of PostgreSQL was a race; out of its group, it cannot reach it
    assert.notEqual(processGroup(pg), processGroup(farm!.child.pid!), 'PostgreSQL runs in a process group of its own');
    assert.equal(await farm!.stop(), 0);
    const out = farm!.output();
    assert.doesNotMatch(out, CRASHED, out);
    assert.match(out, /farm stopped in/);
    assert.equal(processRunning(pg), false, 'PostgreSQL stopped with the farm');
    farm = undefined;
  });

  it('SIGINT during start-up stops what has started, with the exit code of a Ctrl-C', async () => {
    const up = spawnUp(dir);
    children.push(up.child);
    // the farm's PostgreSQL running (a farm with databases starts it first): start-up is under way
    const pg = await waitFor(async () => {
      const pid = await postmasterPid(dir);
      return pid !== undefined && processRunning(pid) ? pid : undefined;
    }, { timeoutMs: 30_000, what: 'PostgreSQL started by corral up' });
    up.child.kill('SIGINT');
    const exit = await up.exited;
    const out = up.output();
    assert.doesNotMatch(out, /Corral is up\./, `the signal came during start-up\n${out}`);
    assert.deepEqual(exit, { code: 0, signal: null }, out);
    assert.match(out, /stopping…/);
    assert.match(out, /farm stopped in/);
    assert.doesNotMatch(out, CRASHED, out);
    assert.equal(processRunning(pg), false, `PostgreSQL stopped with what had started\n${out}`);
  });

  it('after corral up was killed outright, the next one stops the PostgreSQL it left and runs its own', async () => {
    const killed = spawnUp(dir);
    children.push(killed.child);
    await waitFor(() => killed.output().includes('Corral is up.') || killed.child.exitCode !== null, { timeoutMs: 30_000, what: 'corral up' });
    const stray = await postmasterPid(dir);
    assert.ok(stray !== undefined && processRunning(stray));
    killed.child.kill('SIGKILL');
    await killed.exited;
    assert.ok(processRunning(stray), 'its PostgreSQL outlives a SIGKILL');

    farm = await startFarmProcess({ dir, extraArgs: ARGS, terminal: true });
    assert.equal(processRunning(stray), false, 'the stray PostgreSQL was stopped');
    const ours = await postmasterPid(dir);
    assert.ok(ours !== undefined && ours !== stray && processRunning(ours));
    assert.match((await ok(farm.cli(['db', 'list']))).stdout, /orders/);
    assert.equal(await farm.stop(), 0);
    const out = farm.output();
    farm = undefined;
    assert.doesNotMatch(out, CRASHED, out);
    assert.equal(processRunning(ours), false, 'nothing left running after a clean stop');
  });
});

/** `corral up` on dir, not waited for: its exit and everything it printed. */
function spawnUp(dir: string): { child: ChildProcess; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>; output: () => string } {
  const child = spawn(CORRAL_BIN, ['up', '--dir', dir, '--http-port', '0', '--https-port', '0', '--api-port', '0', ...ARGS], {
    cwd: dir, stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PATH: [dirname(process.execPath), process.env.PATH].filter(Boolean).join(':'), CORRAL_LOG_LEVEL: 'warn' },
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
  return { child, exited, output: () => out };
}

async function postmasterPid(dir: string): Promise<number | undefined> {
  const text = await readFile(join(dir, 'postgres', 'data', 'postmaster.pid'), 'utf8').catch(() => undefined);
  const pid = Number(text?.split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** The process group of pid (/proc/<pid>/stat: the second field after the name). */
function processGroup(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
}

