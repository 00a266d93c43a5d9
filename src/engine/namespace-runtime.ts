// The `namespace` runtime (Linux, root): each VS is a guest of its own — bubblewrap
// gives it mount, PID, UTS and IPC namespaces and a read-only system; a named network
// namespace gives it eth0 with its own address on the engine's bridge; cgroups cap its
// memory, CPU and pids; setpriv runs it as its customer's unprivileged uid with no
// capabilities and no_new_privs, under a seccomp filter (namespace/seccomp.ts, built
// once per runtime). Order of a start: address → [cgroups (limits), netns + veth, data
// disk, /etc files: at once] → data dir owner → spawn. Everything is undone when the guest exits,
// and reapOrphans undoes what a crashed agent left (namespaces, veths, cgroups).

import { allSettled } from './all-settled.ts';
import { launchClaimed } from './claim.ts';
import { type ChildProcess } from 'node:child_process';
import { chown, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { logger, type Logger } from '../lib/log.ts';
import { NamespaceUnavailableError, RuntimeClosedError, VsNotRunningError } from './errors.ts';
import { DEFAULT_LIMITS, type VsLimits } from './namespace/cgroup-layout.ts';
import { openCgroups, type Cgroups } from './namespace/cgroups.ts';
import { dataDisks } from './namespace/data-disk.ts';
import { customerUid, etcContents, GUEST, guestCommand, PRELUDE, setpriv } from './namespace/guest-command.ts';
import { rootLinks, runtimeBinds } from './namespace/guest-paths.ts';
import { run, type CommandResult } from './namespace/host-command.ts';
import { guestNetwork, type GuestNetwork } from './namespace/network.ts';
import { buildSeccompFilter, LOAD_SCRIPT, PYTHON, type SeccompFilter } from './namespace/seccomp.ts';
import { parseSubnet, type Subnet } from './namespace/subnet.ts';
import { assertName } from './paths.ts';
import { captureOutput, spawnGroup } from './process-runtime.ts';
import type { DatabaseTarget, ExitInfo, RunningVs, Runtime, VsInspect, VsSpec } from './runtime.ts';
import { startDbForwarder, type DbForwarder } from './namespace/db-forwarder.ts';
import { settlesWithin } from './settles-within.ts';
import { defaultNodeArgs, vsLaunch } from './vs-launch.ts';

export interface NamespaceRuntimeOptions {
  /** Per-VS state (generated /etc files): `<engine dir>/run`. */
  runDir: string;
  /** The engine's bridge; at most 15 characters. Default corral0. */
  bridge?: string;
  /** The guests' subnet, never routed anywhere. Default 10.213.0.0/24. */
  subnet?: string;
  /** The port every guest listens on (each has its own address). Default 8080. */
  port?: number;
  /** Default limits of every VS (a spec's own limits win). */
  limits?: Partial<VsLimits>;
  log?: Logger;
  nodeArgs?: string[];
  logMaxBytes?: number;
  /** Delete the bridge (and the instance cgroups) on destroy: `corral up` and tests; a crash leaves them for reapOrphans. */
  removeBridge?: boolean;
  /** The seccomp filter, when the caller built it already (`buildSeccompFilter(runDir)`); else the runtime builds it on first use. */
  seccomp?: SeccompFilter;
  /** Where the engine reaches PostgreSQL: guests whose site has a database reach it through a forwarder on the bridge address (namespace/db-forwarder.ts). */
  database?: DatabaseTarget;
}

const KILL_WAIT_MS = 3_000;
/** The guest's PATH (the agent's own may name host folders): the system's, and Node's folder. */
const GUEST_PATH = [...new Set(['/usr/local/bin', '/usr/bin', '/bin', path.dirname(process.execPath)])].join(':');
const DU_CACHE_MS = 30_000;

interface Entry {
  spec: VsSpec;
  pid: number;
  child: ChildProcess;
  address: string;
  exited: Promise<ExitInfo>;
  /** Resolves at the exit event itself; exited resolves later, once the OOM check is done. */
  gone: Promise<void>;
  hasExited: boolean;
  stopping?: Promise<void>;
  limits: VsLimits;
}

/**
 * Build a namespace runtime. Machine checks (cgroups, bridge) run on first use; a start
 * then fails with ENGINE_NAMESPACE_UNAVAILABLE if the machine cannot run it
 * (namespaceSupport() says so up front).
 */
export function createNamespaceRuntime(opts: NamespaceRuntimeOptions): Runtime {
  const bridge = opts.bridge ?? 'corral0';
  if (!/^[a-z][a-z0-9-]{0,14}$/.test(bridge)) throw new NamespaceUnavailableError(`bridge name ${JSON.stringify(bridge)} is not a short interface name`);
  const subnet = parseSubnet(opts.subnet ?? '10.213.0.0/24');
  const network = guestNetwork(bridge, subnet);
  const log = opts.log ?? logger('engine', { runtime: 'namespace' });
  const ready = (async () => {
    const cgroups = await openCgroups(bridge);
    if (!cgroups) throw new NamespaceUnavailableError('the memory, cpu and pids cgroup controllers are not all mounted');
    await network.ensureBridge();
    await mkdir(opts.runDir, { recursive: true });
    const seccomp = opts.seccomp ?? (await buildSeccompFilter(opts.runDir));
    if (!seccomp.file) log.warn({ event: 'engine.seccomp_unavailable', reason: seccomp.reason }, 'seccomp filter unavailable: guests run without it');
    // without it guests get no database (PG* unset), but the runtime runs: e.g. 5432 held on every address by another server
    const dbForwarder = opts.database
      ? await startDbForwarder(subnet.gateway, opts.database).catch((err: unknown) => void log.error({ err, event: 'engine.db_forwarder_failed' }, `no database forwarder on ${subnet.gateway}: ${(err as Error).message}`))
      : undefined;
    return { cgroups, seccomp, dbForwarder };
  })();
  ready.catch(() => undefined);
  return namespaceRuntime({ ...opts, log }, subnet, ready, network);
}

function namespaceRuntime(opts: NamespaceRuntimeOptions & { log: Logger }, subnet: Subnet, ready: Promise<{ cgroups: Cgroups; seccomp: SeccompFilter; dbForwarder?: DbForwarder }>, network: GuestNetwork): Runtime {
  let cgroups!: Cgroups;
  let seccomp: SeccompFilter = { reason: 'not built yet' };
  let dbForwarder: DbForwarder | undefined;
  void ready.then((r) => ({ cgroups, seccomp, dbForwarder } = r), () => undefined);
  const log = opts.log;
  const nodeArgs = opts.nodeArgs ?? defaultNodeArgs();
  const port = opts.port ?? 8080;
  const defaults = { ...DEFAULT_LIMITS, ...opts.limits };
  const links = rootLinks();
  const binds = runtimeBinds();
  const entries = new Map<string, Entry>();
  const claimed = new Set<string>();
  /** Per VS: the teardown of its last run, awaited by a new start of the same name. */
  const teardowns = new Map<string, Promise<void>>();
  const du = new Map<string, { at: number; bytes: number }>();
  /** Per VS: the data folder whose loop-mounted quota filesystem it holds. */
  const disksHeld = new Map<string, string>();
  const disks = dataDisks(opts.runDir);
  let destroying: Promise<void> | undefined;

  async function launch(spec: VsSpec): Promise<RunningVs> {
    const limits = { ...defaults, ...spec.limits };
    const uid = customerUid(spec.customer);
    const address = subnet.acquire();
    const stateDir = path.join(opts.runDir, spec.name);
    const lap = stageClock();
    let child: ChildProcess;
    try {
      // cgroups, network and data disk are independent: made at once; all settle before a failure is thrown, so teardown finds each
      const db = spec.database ? dbForwarder?.address : undefined;
      const [dirs, netns, , etcFiles] = await allSettled([
        cgroups.create(spec.name, limits).finally(() => lap('cgroups')),
        network.attach(spec.name, address, { egress: spec.egress ?? 'none', port, ...(db ? { db } : {}) }).finally(() => lap('network')),
        disks.acquire(spec.dataDir, limits.diskBytes, uid).then(() => void disksHeld.set(spec.name, spec.dataDir)).finally(() => lap('disk')),
        writeEtc(stateDir, etcContents(spec.name, address, uid, uid)),
      ] as const);
      await prepareDataDir(spec.dataDir, uid);
      const l = vsLaunch({ ...spec, releaseDir: GUEST.release, dataDir: GUEST.data }, address, port, nodeArgs, db);
      const argsFile = path.join(stateDir, 'bwrap.args');
      const { argv, bwrapArgs } = guestCommand({
        vs: spec.name, uid, gid: uid, cgroupDirs: dirs, netnsPath: netns, releaseDir: spec.releaseDir, dataDir: spec.dataDir,
        etcFiles, tmpBytes: limits.tmpBytes, readOnly: binds, rootLinks: links, file: l.file, args: l.args, argsFile, seccompFile: seccomp.file,
      });
      await writeFile(argsFile, bwrapArgs.map((a) => `${a}\0`).join(''), { mode: 0o600 });
      const env = { ...l.env, PATH: spec.env?.PATH ?? GUEST_PATH, CORRAL_CGROUPS: dirs.join(' ') };
      lap('files');
      child = await spawnGroup({ file: argv[0]!, args: argv.slice(1), env }, '/');
      lap('spawn');
    } catch (err) {
      await teardown(spec.name, address);
      throw err;
    }
    const pid = child.pid!;
    child.on('error', (err) => log.warn({ event: 'vs.process_error', err, vs: spec.name }, 'virtual server process error'));
    captureOutput(child, spec.logFile, opts.logMaxBytes, log);
    let resolveExit!: (info: ExitInfo) => void;
    const exited = new Promise<ExitInfo>((r) => (resolveExit = r));
    let resolveGone!: () => void;
    const gone = new Promise<void>((r) => (resolveGone = r));
    const e: Entry = { spec, pid, child, address, exited, gone, hasExited: false, limits };
    child.once('exit', (code, signal) => {
      e.hasExited = true;
      resolveGone();
      void (async () => {
        const oom = (await cgroups.usage(spec.name)).oomKills > 0;
        const info = exitInfo(code, signal, oom);
        log.info({ event: 'vs.exited', vs: spec.name, pid, ...info }, 'virtual server process exited');
        entries.delete(spec.name);
        const done = teardown(spec.name, address).finally(() => {
          claimed.delete(spec.name);
          if (teardowns.get(spec.name) === done) teardowns.delete(spec.name);
        });
        teardowns.set(spec.name, done);
        resolveExit(info);
      })();
    });
    entries.set(spec.name, e);
    log.info({ event: 'vs.started', vs: spec.name, pid, address, port, stagesMs: lap.stages }, 'virtual server process started');
    if (destroying) void killNow(e);
    return { address, port, pid, exited };
  }

  // Kill what is left in its cgroups, then remove netns, veth, cgroups, state; give the address back.
  async function teardown(vs: string, address: string): Promise<void> {
    try {
      await cgroups.killAll(vs, KILL_WAIT_MS);
      await network.detach(vs);
      await cgroups.remove(vs);
      const dataDir = disksHeld.get(vs);
      disksHeld.delete(vs);
      if (dataDir) await disks.release(dataDir);
      await rm(path.join(opts.runDir, vs), { recursive: true, force: true });
    } catch (err) {
      log.warn({ event: 'vs.teardown_failed', err, vs }, "virtual server's namespace could not be torn down");
    } finally {
      subnet.release(address);
    }
  }

  // SIGTERM every guest process except bubblewrap's own (which would take the guest down at once).
  async function terminate(e: Entry) {
    for (const p of await cgroups.pids(e.spec.name)) {
      const comm = await readFile(`/proc/${p}/comm`, 'utf8').catch(() => 'bwrap');
      if (comm.trim() === 'bwrap') continue;
      try {
        process.kill(p, 'SIGTERM');
      } catch {
        // gone
      }
    }
  }

  function stopEntry(e: Entry, graceMs: number): Promise<void> {
    e.stopping ??= (async () => {
      if (graceMs > 0) await terminate(e);
      if (!(await waitExit(e, graceMs))) {
        if (graceMs > 0) log.warn({ event: 'vs.stop_timeout_killed', vs: e.spec.name, graceMs }, 'virtual server did not stop within its grace: killed');
        killOuter(e);
        await cgroups.killAll(e.spec.name, KILL_WAIT_MS);
        await waitExit(e, KILL_WAIT_MS);
      }
      await e.exited;
      await teardowns.get(e.spec.name);
    })();
    return e.stopping;
  }

  function killNow(e: Entry): Promise<void> {
    killOuter(e);
    return stopEntry(e, 0);
  }

  const runtime: Runtime = {
    name: 'namespace',

    async start(spec) {
      if (destroying) throw new RuntimeClosedError();
      await ready;
      assertName('virtual server', spec.name);
      assertName('site', spec.site);
      await teardowns.get(spec.name);
      return launchClaimed(claimed, spec.name, () => launch(spec));
    },

    async stop(name, graceMs) {
      const e = entries.get(name);
      if (e) await stopEntry(e, graceMs);
    },

    async reapOrphans() {
      await ready;
      const ours = new Set(claimed);
      const leftovers = new Set([...(await network.listNamespaces()), ...(await cgroups.list())].filter((vs) => !ours.has(vs)));
      for (const vs of leftovers) {
        await cgroups.killAll(vs, KILL_WAIT_MS);
        await network.detach(vs);
        await cgroups.remove(vs).catch((err: unknown) => log.warn({ event: 'vs.orphan_cgroup_busy', err, vs }, 'cgroup of an earlier run still busy'));
        await rm(path.join(opts.runDir, vs), { recursive: true, force: true });
        log.warn({ event: 'vs.orphan_reaped', vs }, 'virtual server of an earlier run stopped');
      }
      const ourVeths = new Set([...ours].map((vs) => network.vethName(vs)));
      for (const port of await network.listPorts()) if (!ourVeths.has(port)) await network.deletePort(port);
      const mounts = await disks.reap();
      if (mounts > 0) log.warn({ event: 'vs.orphan_mounts_reaped', mounts }, 'mounts of an earlier run removed');
      return leftovers.size;
    },

    async exec(name, argv, execOpts = {}) {
      const e = entries.get(name);
      const inner = e && !e.hasExited ? await innerPid(e.pid) : undefined;
      if (!e || inner === undefined) throw new VsNotRunningError(name);
      return execInGuest(e, inner, argv, execOpts.timeoutMs ?? 30_000);
    },

    async reachesDatabase() {
      return ready.then((r) => r.dbForwarder !== undefined, () => false);
    },

    async setMemoryLimit(name, bytes) {
      const e = entries.get(name);
      if (!e || e.hasExited) return;
      await cgroups.setMemory(name, bytes);
      e.limits = { ...e.limits, memoryBytes: bytes };
    },

    async inspect(name) {
      const e = entries.get(name);
      if (!e) return undefined;
      const usage = await cgroups.usage(name);
      return {
        runtime: 'namespace',
        address: e.address,
        limits: { memoryBytes: e.limits.memoryBytes, cpuWeight: e.limits.cpuWeight, cpuQuota: e.limits.cpuQuota, pidsMax: e.limits.pidsMax, diskBytes: e.limits.diskBytes },
        usage: { memoryBytes: usage.memoryBytes, cpuUsec: usage.cpuUsec, pids: usage.pids, diskBytes: await diskUse(e.spec.dataDir) },
        ...(seccomp.file ? {} : { notEnforced: ['seccomp'] }),
      } satisfies VsInspect;
    },

    destroy() {
      destroying ??= (async () => {
        await Promise.all([...entries.values()].map(killNow));
        await Promise.all(teardowns.values());
        const r = await ready.catch(() => undefined);
        await r?.dbForwarder?.close();
        await r?.cgroups.removeInstance();
        if (opts.removeBridge) await network.removeBridge();
      })();
      return destroying;
    },
  };
  return runtime;

  async function diskUse(dir: string): Promise<number> {
    const hit = du.get(dir);
    if (hit && Date.now() - hit.at < DU_CACHE_MS) return hit.bytes;
    const out = await run('du', ['-sb', dir], { allowFail: true });
    const bytes = Number(out.stdout.split('\t')[0]) || 0;
    du.set(dir, { at: Date.now(), bytes });
    return bytes;
  }

  // nsenter into the guest's namespaces (joined to its cgroups first, inherited fds closed), then
  // its uid like the VS itself, and its seccomp filter (read from fd 4, loaded by Python's ctypes).
  function execInGuest(e: Entry, inner: number, argv: string[], timeoutMs: number): Promise<CommandResult> {
    const uid = customerUid(e.spec.customer);
    const filter = seccomp.file ? [PYTHON, '-I', '-c', LOAD_SCRIPT] : [];
    return run('/bin/bash', ['-c', PRELUDE, 'corral-exec', '', seccomp.file ?? '', 'nsenter', '-t', String(inner), '-m', '-u', '-i', '-n', '-p', '-r', '--',
        ...setpriv(uid, uid), '--', ...filter, '/bin/sh', '-c', `cd ${GUEST.release} && exec "$@"`, 'corral-exec', ...argv],
      { allowFail: true, timeoutMs, env: { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: GUEST.data, CORRAL_CGROUPS: cgroups.dirs(e.spec.name).join(' ') } });
  }

  // The outer bubblewrap's exit event, awaited (no polling) against the deadline.
  function waitExit(e: Entry, ms: number): Promise<boolean> {
    return settlesWithin(e.gone, ms);
  }
}

function killOuter(e: Entry) {
  try {
    process.kill(e.pid, 'SIGKILL');
  } catch {
    // gone
  }
}

/** Milliseconds from the start of a launch to the end of each stage (logged with `vs.started`). */
function stageClock(): ((stage: string) => void) & { stages: Record<string, number> } {
  const t0 = performance.now();
  const stages: Record<string, number> = {};
  return Object.assign((stage: string) => void (stages[stage] = Math.round((performance.now() - t0) * 10) / 10), { stages });
}

/** bubblewrap exits 128+n when the guest's command died of signal n: report it as that signal. */
function exitInfo(code: number | null, signal: NodeJS.Signals | null, oom: boolean): ExitInfo {
  if (signal === null && code !== null && code > 128 && code <= 128 + 64) {
    const name = Object.entries(os.constants.signals).find(([, n]) => n === code - 128)?.[0];
    if (name) return { code: null, signal: name, oom };
  }
  return { code, signal, oom };
}

/** bubblewrap's pid-1 inside the guest: the child of the outer bwrap. */
async function innerPid(outer: number): Promise<number | undefined> {
  const children = await readFile(`/proc/${outer}/task/${outer}/children`, 'utf8').catch(() => '');
  const first = children.trim().split(' ')[0];
  return first ? Number(first) : undefined;
}

/** The data folder exists, is private to the customer's uid, and owned by it (re-owned if it was not). */
async function prepareDataDir(dir: string, uid: number) {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const st = await stat(dir);
  if (st.uid !== uid || st.gid !== uid) await run('chown', ['-R', `${uid}:${uid}`, dir]);
  await chown(dir, uid, uid);
}

async function writeEtc(stateDir: string, files: Record<string, string>): Promise<Record<string, string>> {
  await mkdir(path.join(stateDir, 'etc'), { recursive: true });
  const out: Record<string, string> = {};
  for (const [name, content] of Object.entries(files)) {
    out[name] = path.join(stateDir, 'etc', name);
    await writeFile(out[name], content, { mode: 0o644 });
  }
  return out;
}
