// One PostgreSQL 15 server for the farm, under `<dir>/postgres`: initdb once, then `postgres`
// supervised (restarted with backoff if it dies), as the `postgres` system user when Corral
// runs as root (PostgreSQL refuses root), else as the current user.
//
// It listens on 127.0.0.1 only (and a Unix socket in `<dir>/postgres/run`, with no
// pg_hba line: unusable). pg_hba (written here, replacing initdb's):
//   host all      corral 127.0.0.1/32 scram-sha-256   the controller's superuser
//   host samerole all    127.0.0.1/32 scram-sha-256   a database, only for members of the role of its name
// Guests never reach 127.0.0.1 of the host: an engine forwards its bridge address to it.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, open, readFile, readlink, realpath, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { silentLogger, type Logger } from '../lib/log.ts';
import { waitFor } from '../lib/wait.ts';
import { PostgresMissingError, PostgresStartError } from './errors.ts';
import { freePort } from '../lib/free-ports.ts';
import { writeFileAtomic } from '../lib/atomic-file.ts';
import { processRunning } from '../lib/process-running.ts';

/** Where the farm's management code finds PostgreSQL; one host here, the Patroni primary in cluster mode. */
export interface DbServer {
  /** A superuser connection URL (database `postgres`). */
  adminUrl(): string;
  /** Where an engine of this runtime reaches PostgreSQL (the target its guests' forwarder connects to). */
  guestEndpoint(engine: 'process' | 'namespace'): { host: string; port: number };
  /** The folder holding pg_dump and pg_restore. */
  readonly binDir: string;
  /** Resolves once PostgreSQL accepts connections (starting it if this process runs it). */
  ready(): Promise<void>;
}

export interface PostgresServer extends DbServer {
  /** The system user the server runs as. */
  readonly osUser: string;
  readonly port: number;
  /** Fast shutdown (SIGINT), SIGKILL after 10 s (nothing when never started); safe twice. */
  close(): Promise<void>;
}

export interface PostgresOptions {
  /** The farm's folder: the server lives in `<dir>/postgres`. */
  dir: string;
  /** TCP port on 127.0.0.1 (first start; kept afterwards). Default: a free one. */
  port?: number;
  /** Folder of initdb and postgres; default $CORRAL_PG_BIN or /usr/lib/postgresql/15/bin. */
  binDir?: string;
  log?: Logger;
  startTimeoutMs?: number;
}

export const ADMIN_ROLE = 'corral';
const MAX_BACKOFF_MS = 30_000;

/** The server binaries' folder, or a PostgresMissingError saying how to install them. */
export function postgresBinDir(binDir = process.env.CORRAL_PG_BIN ?? '/usr/lib/postgresql/15/bin'): string {
  for (const tool of ['initdb', 'postgres', 'pg_dump', 'pg_restore']) {
    if (!existsSync(path.join(binDir, tool))) throw new PostgresMissingError(binDir);
  }
  return binDir;
}

/** Starts the server now (initdb first if needed); resolves once it accepts connections. */
export async function startPostgres(opts: PostgresOptions): Promise<PostgresServer> {
  const server = await openPostgres(opts);
  try {
    await server.ready();
  } catch (err) {
    await server.close();
    throw err;
  }
  return server;
}

/**
 * The server, not started yet: its port and password are fixed (made on first use) and the
 * binaries checked, so callers can hand out its address; `ready()` starts it (once).
 * `corral up` starts it at once when the farm has databases, else with the first one.
 */
export async function openPostgres(opts: PostgresOptions): Promise<PostgresServer> {
  const binDir = postgresBinDir(opts.binDir);
  const log = opts.log ?? silentLogger;
  const home = path.join(path.resolve(opts.dir), 'postgres');
  await mkdir(home, { recursive: true, mode: 0o711 });
  const state = await loadState(home, opts.port);
  const owner = osOwner();
  await openPath(path.resolve(opts.dir), owner);
  const adminUrl = `postgres://${ADMIN_ROLE}:${encodeURIComponent(state.password)}@127.0.0.1:${state.port}/postgres`;
  let supervisor: Supervisor | undefined;
  let starting: Promise<void> | undefined;
  let closed: Promise<void> | undefined;
  return {
    binDir,
    osUser: owner.name,
    port: state.port,
    adminUrl: () => adminUrl,
    guestEndpoint: () => ({ host: '127.0.0.1', port: state.port }),
    ready() {
      if (closed) return Promise.reject(new PostgresStartError('the database service is stopping'));
      starting ??= (async () => {
        supervisor = await boot({ ...opts, log }, binDir, home, owner, state, adminUrl);
      })();
      starting.catch(() => (starting = undefined));
      return starting;
    },
    close() {
      closed ??= (async () => {
        await starting?.catch(() => undefined);
        await supervisor?.stop();
      })();
      return closed;
    },
  };
}

interface Supervisor {
  stop(): Promise<void>;
}

async function boot(opts: PostgresOptions & { log: Logger }, binDir: string, home: string, owner: OsOwner, state: ServerState, adminUrl: string): Promise<Supervisor> {
  const log = opts.log;
  const data = path.join(home, 'data');
  const run = path.join(home, 'run');
  await chmod(home, 0o711);
  for (const d of [data, run]) {
    await mkdir(d, { recursive: true, mode: 0o700 });
    await chown(d, owner.uid, owner.gid);
    await chmod(d, 0o700);
  }
  if (!existsSync(path.join(data, 'PG_VERSION'))) await initdb(binDir, home, data, state.password, owner);
  else await stopStrayPostmaster(data, log);
  await writeFile(path.join(data, 'pg_hba.conf'), PG_HBA, { mode: 0o600 });
  await chown(path.join(data, 'pg_hba.conf'), owner.uid, owner.gid);

  const args = [
    '-D', data, '-c', 'listen_addresses=127.0.0.1', '-c', `port=${state.port}`, '-c', `unix_socket_directories=${run}`,
    '-c', 'password_encryption=scram-sha-256', '-c', 'logging_collector=off', '-c', 'max_connections=200',
  ];
  let child: ChildProcess | undefined;
  let closing = false;
  let restarts = 0;
  let timer: NodeJS.Timeout | undefined;
  const logFile = await open(path.join(home, 'postgres.log'), 'a', 0o600);
  const launch = () => {
    // its own process group: a terminal's Ctrl-C goes to the whole foreground group, and
    // PostgreSQL stopping on it ahead of the farm's stop read as a crash ("exited;
    // restarting") while the parts that use it were still up; the farm stops it in its turn
    const c = spawn(path.join(binDir, 'postgres'), args, { detached: true, uid: owner.uid, gid: owner.gid, stdio: ['ignore', logFile.fd, logFile.fd], env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8' } });
    child = c;
    c.on('exit', (code, signal) => {
      if (child === c) child = undefined;
      if (closing) return;
      const delay = Math.min(MAX_BACKOFF_MS, 500 * 2 ** Math.min(restarts++, 6));
      log.error({ event: 'postgres.exited', code, signal, restartInMs: delay }, 'PostgreSQL exited; restarting');
      timer = setTimeout(launch, delay);
    });
    c.on('error', (err) => log.error({ event: 'postgres.spawn_failed', err }, 'PostgreSQL could not be started'));
  };
  const stop = async () => {
    closing = true;
    if (timer) clearTimeout(timer);
    const c = child;
    if (c && c.exitCode === null && c.signalCode === null) {
      const gone = new Promise((r) => c.once('exit', r));
      c.kill('SIGINT');
      const kill = setTimeout(() => c.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(kill);
    }
    await logFile.close().catch(() => undefined);
  };
  launch();
  try {
    await waitFor(() => ping(adminUrl), { timeoutMs: opts.startTimeoutMs ?? 30_000, intervalMs: 100, what: `PostgreSQL on 127.0.0.1:${state.port} (log: ${path.join(home, 'postgres.log')})` });
    await bootstrap(adminUrl);
  } catch (err) {
    await stop();
    throw new PostgresStartError(`PostgreSQL did not start: ${(err as Error).message}`, err);
  }
  log.info({ event: 'postgres.ready', port: state.port, user: owner.name }, 'PostgreSQL ready');
  restarts = 0;
  return { stop };
}

/** How long a stray postmaster gets for a fast shutdown, then for an immediate one. */
const STRAY_FAST_MS = 20_000;
const STRAY_IMMEDIATE_MS = 10_000;

/**
 * A PostgreSQL left running on this data folder by a farm that did not stop cleanly
 * (`corral up` killed with SIGKILL): stopped before ours starts. Left alone, ours exits at
 * once on its lock file ("restarting" forever) while the stray one serves, unsupervised,
 * and outlives every later stop. Stopped rather than adopted: a process that is not our
 * child cannot be watched for its exit, and it runs with whatever settings it started with
 * (pg_hba is rewritten at every start). It is ours only if postmaster.pid names a live
 * process that is a `postgres` working in this very folder (a pid reused by another program
 * is left alone; PostgreSQL itself then sees the lock file is stale). SIGINT is its fast
 * shutdown (clients cut, a checkpoint written), then SIGQUIT (immediate: recovery at the next
 * start) if that hangs.
 */
export async function stopStrayPostmaster(data: string, log: Logger): Promise<void> {
  const pid = await postmasterPid(data);
  if (pid === undefined || !(await isPostmasterOf(pid, data))) return;
  log.warn({ event: 'postgres.stray', pid }, `a PostgreSQL left running on ${data} (pid ${pid}, from a farm that did not stop cleanly); stopping it`);
  const gone = (timeoutMs: number) => waitFor(() => !processRunning(pid), { timeoutMs, intervalMs: 50, what: `PostgreSQL pid ${pid} to exit` }).then(() => true, () => false);
  signal(pid, 'SIGINT');
  if (await gone(STRAY_FAST_MS)) return;
  signal(pid, 'SIGQUIT');
  if (!(await gone(STRAY_IMMEDIATE_MS))) throw new PostgresStartError(`a PostgreSQL left running on ${data} (pid ${pid}) did not stop; stop it, then start again`);
}

/** The first line of postmaster.pid, when there is one. */
async function postmasterPid(data: string): Promise<number | undefined> {
  const text = await readFile(path.join(data, 'postmaster.pid'), 'utf8').catch(() => undefined);
  const pid = Number(text?.split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** pid is a postgres whose working folder is data (the postmaster chdirs into its data folder). */
async function isPostmasterOf(pid: number, data: string): Promise<boolean> {
  try {
    const [exe, cwd, want] = await Promise.all([readlink(`/proc/${pid}/exe`), readlink(`/proc/${pid}/cwd`), realpath(data)]);
    // an upgraded package leaves "postgres (deleted)"
    return path.basename(exe).split(' ')[0] === 'postgres' && cwd === want;
  } catch {
    return false; // gone, or not ours to look at
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // gone already
  }
}

const PG_HBA = `# Written by Corral at every start (src/database/postgres-server.ts).
# TYPE DATABASE  USER    ADDRESS       METHOD
host   all       ${ADMIN_ROLE}  127.0.0.1/32  scram-sha-256
host   samerole  all     127.0.0.1/32  scram-sha-256
`;

interface OsOwner {
  name: string;
  uid: number;
  gid: number;
}

/** The `postgres` system user when running as root (PostgreSQL refuses root), else ourselves. */
function osOwner(): OsOwner {
  const uid = process.getuid?.() ?? 0;
  if (uid !== 0) return { name: String(uid), uid, gid: process.getgid?.() ?? uid };
  try {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
    return { name: 'postgres', uid: id('-u'), gid: id('-g') };
  } catch {
    throw new PostgresStartError('there is no `postgres` system user to run PostgreSQL as (it refuses root); reinstall the `postgresql` package');
  }
}

/** The server's user must be able to walk to its folder: the farm folder gets o+x (no listing); a closed parent is an error that says so. */
async function openPath(farmDir: string, owner: OsOwner): Promise<void> {
  if (owner.uid === process.getuid?.()) return;
  const st = await stat(farmDir);
  if ((st.mode & 0o001) === 0) await chmod(farmDir, (st.mode & 0o777) | 0o011);
  for (let d = path.dirname(farmDir); d !== path.dirname(d); d = path.dirname(d)) {
    const s = await stat(d);
    if ((s.mode & 0o001) === 0 && s.uid !== owner.uid) {
      throw new PostgresStartError(`PostgreSQL runs as ${owner.name}, which cannot enter ${d} (mode ${(s.mode & 0o777).toString(8)}): use a farm folder (--dir) outside it, or let it through with \`setfacl -m u:${owner.name}:x ${d}\` (or chmod o+x)`);
    }
  }
}

interface ServerState {
  port: number;
  password: string;
}

/** `<home>/server.json` (0600, root's): the port and the superuser's password, made on first start. */
async function loadState(home: string, port?: number): Promise<ServerState> {
  const file = path.join(home, 'server.json');
  const saved = await readFile(file, 'utf8').then((t) => JSON.parse(t) as ServerState, () => undefined);
  if (saved) return saved;
  const state = { port: port || (await freePort()), password: randomBytes(24).toString('base64url') };
  await writeFileAtomic(file, JSON.stringify(state) + '\n', { mode: 0o600 });
  return state;
}

async function initdb(binDir: string, home: string, data: string, password: string, owner: OsOwner): Promise<void> {
  const pwfile = path.join(home, 'run', 'initdb.pw');
  await writeFile(pwfile, password + '\n', { mode: 0o600 });
  await chown(pwfile, owner.uid, owner.gid);
  try {
    const out = await runAs(path.join(binDir, 'initdb'), ['-D', data, '-U', ADMIN_ROLE, `--pwfile=${pwfile}`, '--auth=scram-sha-256', '-E', 'UTF8', '--locale=C.UTF-8'], owner);
    if (out.code !== 0) throw new PostgresStartError(`initdb failed: ${out.output.trim().split('\n').slice(-3).join(' / ')}`);
  } finally {
    await rm(pwfile, { force: true });
  }
}

function runAs(file: string, args: string[], owner: OsOwner): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const c = spawn(file, args, { uid: owner.uid, gid: owner.gid, stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8' } });
    let output = '';
    c.stdout.on('data', (d: Buffer) => (output += d.toString()));
    c.stderr.on('data', (d: Buffer) => (output += d.toString()));
    c.on('error', (err) => resolve({ code: -1, output: err.message }));
    c.on('close', (code) => resolve({ code: code ?? -1, output }));
  });
}

/** Run once per start, idempotent: nobody but the superuser connects to the maintenance databases. */
async function bootstrap(adminUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query('REVOKE CONNECT, TEMPORARY ON DATABASE postgres, template1 FROM PUBLIC');
  } finally {
    await client.end();
  }
}

async function ping(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } finally {
    await client.end().catch(() => undefined);
  }
}

