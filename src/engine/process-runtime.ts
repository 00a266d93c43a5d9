// The `process` runtime: each VS is a detached child process group on its own loopback
// address (127.77.x.y) and a free port, its output captured in a size-capped log file,
// and a pidfile in runDir so that the next engine start can reap what a crash left.

import { launchClaimed } from './claim.ts';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { logger, type Logger } from '../lib/log.ts';
import { createAddressPool, type AddressPool } from './address-pool.ts';
import { freePort } from '../lib/free-ports.ts';
import { RuntimeClosedError } from './errors.ts';
import { createLogFile } from './log-file.ts';
import { createLineStamper } from './line-stamper.ts';
import { assertName } from './paths.ts';
import { listPidfiles, removePidfile, writePidfile } from './pidfile.ts';
import { findOurGroupMembers } from './proc-scan.ts';
import { signalGroup, waitGroupGone } from './process-group.ts';
import { settlesWithin } from './settles-within.ts';
import type { ExitInfo, RunningVs, Runtime, VsSpec, DatabaseTarget } from './runtime.ts';
import { defaultNodeArgs, vsLaunch, type Launch } from './vs-launch.ts';

export interface ProcessRuntimeOptions {
  /** Where the pidfiles live (`<engine dir>/run`). */
  runDir: string;
  log?: Logger;
  /** Node arguments for the static web runtime; default none (tsx when running from the sources). */
  nodeArgs?: string[];
  /** Log rotation size; default 10 MiB. */
  logMaxBytes?: number;
  /** Address pool; default one shared by every process runtime in this process. */
  addresses?: AddressPool;
  /** Where VSs reach PostgreSQL directly (same host): given to those whose site has a database. */
  database?: DatabaseTarget;
}

/** After SIGKILL, how long to wait for a group to disappear before giving up on it. */
const KILL_WAIT_MS = 2_000;
// Random start: engines in different processes on one machine (tests) rarely pick the same address.
const sharedPool = createAddressPool(Math.floor(Math.random() * 65_536));

interface Entry {
  name: string;
  pid: number;
  /** The pool address held for this VS. */
  address: string;
  exited: Promise<ExitInfo>;
  pidWritten: Promise<unknown>;
  /** Set once a stop or destroy owns the end of this VS (an exit is then expected). */
  stopping?: Promise<void>;
  /** Set once the VS is over: resolves when its pidfile is gone. */
  finished?: Promise<void>;
}

export function createProcessRuntime(opts: ProcessRuntimeOptions): Runtime {
  const log = opts.log ?? logger('engine', { runtime: 'process' });
  const pool = opts.addresses ?? sharedPool;
  const nodeArgs = opts.nodeArgs ?? defaultNodeArgs();
  const entries = new Map<string, Entry>();
  const claimed = new Set<string>();
  let destroying: Promise<void> | undefined;

  const cleanups = new Set<Promise<void>>();

  // The VS is over: forget it, give its address back, remove its pidfile.
  function finish(e: Entry): Promise<void> {
    if (e.finished) return e.finished;
    entries.delete(e.name);
    claimed.delete(e.name);
    pool.release(e.address);
    const done = e.pidWritten
      .then(() => removePidfile(opts.runDir, e.name, e.pid))
      .catch((err: unknown) => log.warn({ event: 'vs.pidfile_remove_failed', err, vs: e.name }, 'pid file could not be removed'))
      .finally(() => cleanups.delete(done));
    cleanups.add(done);
    e.finished = done;
    return done;
  }

  async function launch(spec: VsSpec): Promise<RunningVs> {
    await mkdir(opts.runDir, { recursive: true });
    await mkdir(spec.dataDir, { recursive: true });
    const pooled = pool.acquire();
    let child: ChildProcess;
    let address: string;
    let port: number;
    try {
      [address, port] = await endpoint(pooled, log);
      child = await spawnGroup(vsLaunch(spec, address, port, nodeArgs, opts.database), spec.releaseDir);
    } catch (err) {
      pool.release(pooled);
      throw err;
    }
    const pid = child.pid!;
    child.on('error', (err) => log.warn({ event: 'vs.process_error', err, vs: spec.name }, 'virtual server process error'));
    captureOutput(child, spec.logFile, opts.logMaxBytes, log);
    const pidWritten = writePidfile(opts.runDir, { pid, pgid: pid, vs: spec.name, startedAt: new Date().toISOString() });
    pidWritten.catch((err: unknown) => log.error({ event: 'vs.pidfile_write_failed', err, vs: spec.name }, 'pid file could not be written'));
    let resolveExit!: (info: ExitInfo) => void;
    const exited = new Promise<ExitInfo>((r) => (resolveExit = r));
    const e: Entry = { name: spec.name, pid, address: pooled, exited, pidWritten };
    child.once('exit', (code, signal) => {
      log.info({ event: 'vs.exited', vs: spec.name, pid, code, signal }, 'virtual server process exited');
      // An unexpected exit takes the whole VS down; a stop waits for the group itself.
      if (!e.stopping) {
        signalGroup(pid, 'SIGKILL');
        void finish(e);
      }
      resolveExit({ code, signal, oom: false });
    });
    entries.set(spec.name, e);
    log.info({ event: 'vs.started', vs: spec.name, pid, address, port }, 'virtual server process started');
    if (destroying) void killNow(e);
    // a VS reported started has its pidfile: an engine crash from here on leaves it reapable
    await pidWritten.catch(() => undefined);
    return { address, port, pid, exited };
  }

  // SIGTERM the group, give it graceMs to be gone, then SIGKILL.
  function stopEntry(e: Entry, graceMs: number): Promise<void> {
    e.stopping ??= (async () => {
      signalGroup(e.pid, 'SIGTERM');
      if (!(await waitGone(e, graceMs))) {
        log.warn({ event: 'vs.stop_timeout_killed', vs: e.name, graceMs }, 'virtual server did not stop within its grace: killed');
        signalGroup(e.pid, 'SIGKILL');
        await waitGone(e, KILL_WAIT_MS);
      }
      await finish(e);
    })();
    return e.stopping;
  }

  async function killNow(e: Entry): Promise<void> {
    signalGroup(e.pid, 'SIGKILL');
    await stopEntry(e, 0);
  }

  return {
    name: 'process',

    async start(spec) {
      if (destroying) throw new RuntimeClosedError();
      assertName('virtual server', spec.name);
      return launchClaimed(claimed, spec.name, () => launch(spec));
    },

    async stop(name, graceMs) {
      const e = entries.get(name);
      if (e) await stopEntry(e, graceMs);
    },

    async reapOrphans() {
      const ours = new Set([...entries.values()].map((e) => e.pid));
      let count = 0;
      for (const { file, rec } of await listPidfiles(opts.runDir)) {
        if (rec && ours.has(rec.pid)) continue;
        if (rec && (await findOurGroupMembers(rec.pgid, rec.vs)).length > 0) {
          signalGroup(rec.pgid, 'SIGKILL');
          await waitGroupGone(rec.pgid, KILL_WAIT_MS);
          log.warn({ event: 'vs.orphan_reaped', vs: rec.vs, pid: rec.pid }, 'virtual server of an earlier run stopped');
          count++;
        }
        await rm(file, { force: true });
      }
      return count;
    },

    destroy() {
      destroying ??= Promise.all([...entries.values()].map(killNow)).then(() => Promise.all(cleanups)).then(() => undefined);
      return destroying;
    },
  };

  // The leader's exit is awaited (no polling); the rest of its group is checked after it.
  async function waitGone(e: Entry, ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    if (!(await settlesWithin(e.exited, ms))) return false;
    return waitGroupGone(e.pid, deadline - Date.now());
  }
}

let warnedNoLoopback = false;

/** A free port on the pooled address; where 127.77.0.0/16 is not routed to loopback (macOS), on 127.0.0.1. */
async function endpoint(pooled: string, log: Logger): Promise<[string, number]> {
  try {
    return [pooled, await freePort(pooled)];
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRNOTAVAIL') throw err;
    if (!warnedNoLoopback) log.warn({ event: 'engine.loopback_unavailable', address: pooled, using: '127.0.0.1' }, 'no loopback address pool: virtual servers use 127.0.0.1');
    warnedNoLoopback = true;
    return ['127.0.0.1', await freePort('127.0.0.1')];
  }
}

/** Spawn as the leader of a new process group; resolves once the process exists. */
export function spawnGroup(l: Launch, cwd: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(l.file, l.args, { cwd, env: l.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    child.once('spawn', () => resolve(child));
    child.once('error', reject);
  });
}

/** stdout and stderr → the VS's capped log file, each line stamped with its time. If the file fails, output is discarded, never blocked. */
export function captureOutput(child: ChildProcess, file: string, maxBytes: number | undefined, log: Logger) {
  const out = createLogFile(file, { maxBytes });
  // stdout and stderr each keep their own line state (line-stamper.ts)
  const sources = [child.stdout!, child.stderr!].map((s) => ({ s, stamped: s.pipe(createLineStamper()) }));
  let open = sources.length;
  out.on('error', (err) => {
    log.warn({ event: 'vs.log_write_failed', err, file }, "virtual server's log could not be written");
    for (const { stamped } of sources) {
      stamped.unpipe(out);
      stamped.resume();
    }
  });
  for (const { s, stamped } of sources) {
    stamped.pipe(out, { end: false });
    s.once('close', () => {
      if (!stamped.writableEnded) stamped.end(); // closed without an end: still flush the stamper
    });
    stamped.once('end', () => {
      if (--open === 0) out.end();
    });
  }
}
