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

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chownSync, closeSync, fsyncSync, openSync, readFileSync, writeSync, renameSync } from 'node:fs';
import { mkdir, chmod, chown } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../lib/log.ts';
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
  pid(): number | undefined;
  close(): Promise<void>;
  destroy(): Promise<void>;
}

const STOP_GRACE_MS = 30_000;
const RESTART_DELAY_MS = 2_000;

export async function startPatroniMember(opts: PatroniMemberOptions): Promise<PatroniMember> {
  const missing = patroniMissing();
  if (missing) throw new Error(`this engine cannot run a database member: it ${missing}`);
  const user = osUser()!;
  const { dir, log } = opts;
  await mkdir(dir, { recursive: true });
  await chown(dir, user.uid, user.gid);
  await chmod(dir, 0o700);
  if (spawnSync('test', ['-w', dir, '-a', '-x', dir], { uid: user.uid, gid: user.gid }).status !== 0) {
    throw new Error(`the ${DB_OS_USER} user cannot reach ${dir}: give its parent folders o+x (chmod o+x …) or run the engine with a --dir it can reach`);
  }
  const configPath = join(dir, 'patroni.json');
  writeAtomic(configPath, JSON.stringify(patroniConfig({ ...opts, binDir: opts.binDir ?? PG_BIN_DIR }), null, 2), user);

  let child: ChildProcess | undefined;
  let stopping = false;
  let restartTimer: NodeJS.Timeout | undefined;
  const launch = () => {
    const logFd = openSync(join(dir, 'patroni.log'), 'a', 0o600);
    const c = spawn(PATRONI_BIN, [configPath], {
      cwd: dir, uid: user.uid, gid: user.gid, detached: true, stdio: ['ignore', logFd, logFd],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, LANG: 'C.UTF-8', PGDATA: join(dir, 'data') },
    });
    closeSync(logFd);
    child = c;
    log.info({ member: opts.name, pid: c.pid }, 'db.patroni_started');
    c.once('exit', (code, signal) => {
      if (child === c) child = undefined;
      if (stopping) return;
      log.warn({ member: opts.name, code, signal }, 'db.patroni_exited');
      restartTimer = setTimeout(launch, RESTART_DELAY_MS);
    });
  };
  launch();

  const exited = async (signal: NodeJS.Signals, graceMs: number) => {
    stopping = true;
    clearTimeout(restartTimer);
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const done = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    signalGroup(c.pid!, signal);
    const timer = setTimeout(() => signalGroup(c.pid!, 'SIGKILL'), graceMs);
    await done;
    clearTimeout(timer);
  };
  let closing: Promise<void> | undefined;
  return {
    name: opts.name,
    apiUrl: `http://${opts.address}:${opts.apiPort}`,
    pid: () => child?.pid,
    close() {
      closing ??= (async () => {
        await exited('SIGTERM', STOP_GRACE_MS);
        killPostmaster(join(dir, 'data'), 'SIGKILL'); // only if Patroni left it running
        log.info({ member: opts.name }, 'db.patroni_stopped');
      })();
      return closing;
    },
    destroy() {
      closing ??= (async () => {
        killPostmaster(join(dir, 'data'), 'SIGKILL');
        await exited('SIGKILL', 0);
        killPostmaster(join(dir, 'data'), 'SIGKILL'); // one Patroni may have started meanwhile
      })();
      return closing;
    },
  };
}

function osUser(): { uid: number; gid: number } | undefined {
  const uid = spawnSync('id', ['-u', DB_OS_USER], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', DB_OS_USER], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) return undefined;
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

function writeAtomic(path: string, text: string, owner: { uid: number; gid: number }): void {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  chownSync(tmp, owner.uid, owner.gid);
  renameSync(tmp, path);
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    /* already gone */
  }
}

/** SIGKILL the postmaster named in data/postmaster.pid and its process group (its backends). */
function killPostmaster(dataDir: string, signal: NodeJS.Signals): void {
  let pid: number;
  try {
    pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 1) return;
  let pgid: number;
  try {
    // /proc/<pid>/stat: "pid (comm) state ppid pgrp …"; the comm may hold spaces
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (!/\bpostgres\b/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'))) return; // a stale pid file, reused pid
    pgid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
  } catch {
    return;
  }
  try {
    process.kill(-pgid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}
