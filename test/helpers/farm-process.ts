// Runs `corral up` as a real child process on ephemeral ports in a temp dir, and the
// `corral` CLI against it, exactly as a user would. Cleanup is registered by the caller
// (t.after / after) right after start.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../../src/lib/wait.ts';

export const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const CORRAL_BIN = join(REPO, 'bin', 'corral.js');
/** How long stop() waits for `corral up` to exit after its SIGINT (it drains for at most its drain timeouts, 10 s by default). */
const STOP_DEADLINE_MS = 90_000;

export interface FarmProcess {
  dir: string;
  apiUrl: string;
  routerUrl: string;
  token: string;
  child: ChildProcess;
  output(): string;
  /** Ctrl-C (to its process group with `terminal`) and wait for a clean exit; returns the exit code. */
  stop(): Promise<number | null>;
  /** Run the CLI against this farm. */
  cli(args: string[], opts?: { token?: string; input?: string }): Promise<CliResult>;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `terminal`: run it in a process group of its own and stop it as a terminal's Ctrl-C does, with SIGINT to the whole group (every child that shares it included). */
export async function startFarmProcess(opts: { dir?: string; extraArgs?: string[]; env?: Record<string, string>; terminal?: boolean } = {}): Promise<FarmProcess> {
  const dir = opts.dir ?? (await mkdtemp(join(tmpdir(), 'corral-e2e-')));
  // CORRAL_TEST_RUNTIME=process|namespace forces the engine's runtime (default: what `corral up` picks).
  const runtime = process.env.CORRAL_TEST_RUNTIME ? ['--runtime', process.env.CORRAL_TEST_RUNTIME] : [];
  // the bin itself, as `npx corral up` runs it (its launcher line, with this node first on PATH)
  const child = spawn(CORRAL_BIN, ['up', '--dir', dir, '--http-port', '0', '--https-port', '0', '--api-port', '0', ...runtime, ...(opts.extraArgs ?? [])], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: opts.terminal === true,
    env: { ...process.env, PATH: [dirname(process.execPath), process.env.PATH].filter(Boolean).join(':'), CORRAL_LOG_LEVEL: process.env.CORRAL_LOG_LEVEL ?? 'warn', ...opts.env },
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  await waitFor(async () => out.includes('Corral is up.') || child.exitCode !== null, { timeoutMs: 30_000, what: 'corral up' });
  if (child.exitCode !== null) throw new Error(`corral up exited early:\n${out}`);
  const apiUrl = (await readFile(join(dir, 'api-url'), 'utf8')).trim();
  const routerUrl = (await readFile(join(dir, 'router-url'), 'utf8')).trim();
  const token = (await readFile(join(dir, 'admin-token'), 'utf8')).trim();
  const farm: FarmProcess = {
    dir, apiUrl, routerUrl, token, child,
    output: () => out,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        if (opts.terminal) process.kill(-child.pid!, 'SIGINT');
        else child.kill('SIGINT');
      }
      // a farm that does not stop fails the test that stops it, with what it printed, rather than the whole file's timeout
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`corral up had not exited ${STOP_DEADLINE_MS / 1000} s after SIGINT (killed); its output:\n${out.slice(-4_000)}`));
        }, STOP_DEADLINE_MS);
      });
      return Promise.race([exited, late]).finally(() => clearTimeout(timer));
    },
    cli: (args, o = {}) => runCli(args, { cwd: dir, env: { CORRAL_API: apiUrl, CORRAL_TOKEN: o.token ?? token } }, o.input),
  };
  return farm;
}

export function runCli(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}, input?: string): Promise<CliResult> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [CORRAL_BIN, ...args], {
      cwd: opts.cwd ?? REPO,
      env: { ...process.env, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', fail);
    child.on('exit', (code) => done({ code, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

/** Run the CLI and fail with its output when it does not exit 0. */
export async function ok(p: Promise<CliResult>): Promise<CliResult> {
  const r = await p;
  if (r.code !== 0) throw new Error(`corral exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** Stop the farm, when it started, and remove its folder: a test file's `after`. */
export async function stopAndRemove(farm: FarmProcess | undefined): Promise<void> {
  await farm?.stop();
  await removeDir(farm?.dir ?? '');
}

/** GET a path of the farm's API with its admin token: the JSON answer; anything but a 200 throws, naming the path. */
export async function adminGet<T>(farm: Pick<FarmProcess, 'apiUrl' | 'token'>, path: string): Promise<T> {
  const res = await fetch(`${farm.apiUrl}${path}`, { headers: { authorization: `Bearer ${farm.token}` } });
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}
