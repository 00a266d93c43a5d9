// One database member of the farm's Patroni cluster, run by an engine that opted in
// (`corral engine --db`). Patroni and the Postgres it starts run as the `postgres` system
// user (Debian's postgresql package makes it; Postgres refuses root), never as root:
// the engine (root) makes the member's folder, hands it to that user, writes Patroni's
// configuration (temp file, fsync, rename) and starts Patroni with that uid/gid.
//
// close(): SIGTERM — Patroni stops Postgres (fast) and gives up its leader key, so the
// standby takes over without waiting for the ttl. destroy(): as a crash — SIGKILL to
// Patroni and to Postgres's whole process group (Patroni starts the postmaster in its own
// session); the leader key then expires with its lease.

import { spawn, spawnSync } from 'node:child_process';
import { chownSync, closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { mkdir, chmod, chown } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../lib/log.ts';
import { dbMemberUnavailable } from './errors.ts';
import { patroniConfig, type PatroniConfigInput } from './patroni-config.ts';

export const PATRONI_BIN = process.env.CORRAL_PATRONI_BIN ?? 'patroni';
export const PG_BIN_DIR = process.env.CORRAL_PG_BIN_DIR ?? '/usr/lib/postgresql/15/bin';
export const DB_OS_USER = 'postgres';

/** Why a database member cannot run here, or false when it can. */
export function patroniMissing(): string | false {
  if (spawnSync(PATRONI_BIN, ['--version'], { encoding: 'utf8' }).status !== 0) return `needs ${PATRONI_BIN} (Debian package patroni)`;
  if (spawnSync(join(PG_BIN_DIR, 'postgres'), ['--version']).status !== 0) return `needs the PostgreSQL server in ${PG_BIN_DIR} (Debian package postgresql)`;
  if (!osUser()) return `needs the ${DB_OS_USER} system user (Debian package postgresql makes it)`;
  return false;
}

export interface PatroniMemberOptions extends Omit<PatroniConfigInput, 'binDir'> {
  binDir?: string;
  log: Logger;
}

export interface PatroniMember {
  name: string;
  /** Patroni's REST API, e.g. http://10.0.0.5:8008. */
  apiUrl: string;
  /** Patroni's pid now (undefined while it is being restarted). */
  pid(): number | undefined;
  close(): Promise<void>;
  destroy(): Promise<void>;
  /** As when the engine itself crashes: stop watching Patroni and leave it running (the next start takes it over). */
  abandon(): void;
}

const STOP_GRACE_MS = 30_000;
const RESTART_DELAY_MS = 2_000;
const ADOPTED_POLL_MS = 500;

/** A Patroni process: one this engine started, or one a previous run of it left running. */
interface Running {
  pid: number;
  exited: Promise<{ code?: number | null; signal?: string | null; err?: string }>;
}

export async function startPatroniMember(opts: PatroniMemberOptions): Promise<PatroniMember> {
  const missing = patroniMissing();
  if (missing) throw dbMemberUnavailable(`it ${missing}`);
  const user = osUser()!;
  const { dir, log } = opts;
  await mkdir(dir, { recursive: true });
  await chown(dir, user.uid, user.gid);
  await chmod(dir, 0o700);
  if (spawnSync('test', ['-w', dir, '-a', '-x', dir], { uid: user.uid, gid: user.gid }).status !== 0) {
    throw dbMemberUnavailable(`the ${DB_OS_USER} user cannot reach ${dir}: give its parent folders o+x (chmod o+x …) or run the engine with a --dir it can reach`);
  }
  const configPath = join(dir, 'patroni.json');
  const pidPath = join(dir, 'patroni.pid');
  writeAtomic(configPath, JSON.stringify(patroniConfig({ ...opts, binDir: opts.binDir ?? PG_BIN_DIR }), null, 2), user);

  let running: Running | undefined;
  let stopping = false;
  let restartTimer: NodeJS.Timeout | undefined;
  const supervise = (r: Running) => {
    running = r;
    void r.exited.then((how) => {
      if (running === r) running = undefined;
      if (stopping) return;
      log.warn({ event: 'db.patroni_exited', member: opts.name, ...how }, 'Patroni exited');
      restartTimer = setTimeout(() => supervise(launch()), RESTART_DELAY_MS);
    });
  };
  const launch = (): Running => {
    const logFd = openSync(join(dir, 'patroni.log'), 'a', 0o600);
    const c = spawn(PATRONI_BIN, [configPath], {
      cwd: dir, uid: user.uid, gid: user.gid, detached: true, stdio: ['ignore', logFd, logFd],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, LANG: 'C.UTF-8', PGDATA: join(dir, 'data') },
    });
    closeSync(logFd);
    const exited = new Promise<{ code?: number | null; signal?: string | null; err?: string }>((resolve) => {
      c.once('exit', (code, signal) => resolve({ code, signal }));
      c.once('error', (err) => resolve({ err: err.message }));
    });
    if (c.pid === undefined) return { pid: 0, exited };
    writeAtomic(pidPath, `${c.pid}\n`);
    log.info({ event: 'db.patroni_started', member: opts.name, pid: c.pid }, 'Patroni started');
    return { pid: c.pid, exited };
  };
  // An engine restarted after a crash finds its Patroni (and the Postgres it runs) still
  // serving: it takes it over rather than failing over the cluster.
  const left = adopt(pidPath, configPath);
  if (left) log.info({ event: 'db.patroni_adopted', member: opts.name, pid: left.pid }, 'Patroni already running: adopted');
  supervise(left ?? launch());

  const stop = async (signal: NodeJS.Signals, graceMs: number) => {
    stopping = true;
    clearTimeout(restartTimer);
    const r = running;
    if (!r || r.pid === 0) return;
    signalGroup(r.pid, signal);
    const timer = setTimeout(() => signalGroup(r.pid, 'SIGKILL'), graceMs);
    await r.exited;
    clearTimeout(timer);
    rmSync(pidPath, { force: true });
  };
  let closing: Promise<void> | undefined;
  return {
    name: opts.name,
    apiUrl: `http://${opts.address}:${opts.apiPort}`,
    pid: () => running?.pid,
    close() {
      closing ??= (async () => {
        await stop('SIGTERM', STOP_GRACE_MS);
        killPostmaster(join(dir, 'data')); // only if Patroni left it running
        log.info({ event: 'db.patroni_stopped', member: opts.name }, 'Patroni stopped');
      })();
      return closing;
    },
    destroy() {
      closing ??= (async () => {
        killPostmaster(join(dir, 'data'));
        await stop('SIGKILL', 0);
        killPostmaster(join(dir, 'data')); // in case Patroni started one meanwhile
      })();
      return closing;
    },
    abandon() {
      stopping = true;
      clearTimeout(restartTimer);
      closing ??= Promise.resolve();
    },
  };
}

/** The Patroni named in the pid file, if it still runs this member's configuration. */
function adopt(pidPath: string, configPath: string): Running | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(pidPath, 'utf8').trim());
  } catch {
    return undefined;
  }
  const alive = () => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(configPath);
    } catch {
      return false;
    }
  };
  if (!Number.isInteger(pid) || pid <= 1 || !alive()) return undefined;
  const exited = new Promise<{ code?: number | null; signal?: string | null }>((resolve) => {
    const timer = setInterval(() => {
      if (alive()) return;
      clearInterval(timer);
      resolve({});
    }, ADOPTED_POLL_MS);
    timer.unref();
  });
  return { pid, exited };
}

function osUser(): { uid: number; gid: number } | undefined {
  const uid = spawnSync('id', ['-u', DB_OS_USER], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', DB_OS_USER], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) return undefined;
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

function writeAtomic(path: string, text: string, owner?: { uid: number; gid: number }): void {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  if (owner) chownSync(tmp, owner.uid, owner.gid);
  renameSync(tmp, path);
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    /* already gone */
  }
}

/**
 * The postmaster named in <dataDir>/postmaster.pid: running (with its process group), a
 * zombie (killed, not reaped yet: its cmdline is empty), or gone (no such process, or the
 * pid reused by another program); undefined without a pid file.
 */
export function postmasterOf(dataDir: string): { pid: number; state: 'running'; pgid: number } | { pid: number; state: 'zombie' | 'gone' } | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 1) return undefined;
  try {
    // /proc/<pid>/stat: "pid (comm) state ppid pgrp …"; the comm may hold spaces
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (state === 'Z') return { pid, state: 'zombie' };
    if (!/\bpostgres\b/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'))) return { pid, state: 'gone' }; // a stale pid file, reused pid
    return { pid, state: 'running', pgid: Number(pgrp) };
  } catch {
    return { pid, state: 'gone' };
  }
}

/** SIGKILL the postmaster named in data/postmaster.pid and its process group (its backends). */
function killPostmaster(dataDir: string): void {
  const pm = postmasterOf(dataDir);
  if (pm?.state !== 'running') return;
  try {
    process.kill(-pm.pgid, 'SIGKILL');
  } catch {
    try {
      process.kill(pm.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
}
