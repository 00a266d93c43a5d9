// A VS's cgroups on this machine: created with their limits before the guest starts,
// read for usage and OOM kills, emptied with SIGKILL and removed when it is over, and
// listed for reaping after a crash. Layout and file names: cgroup-layout.ts.

import { readdir, readFile, mkdir, rmdir, writeFile, access } from 'node:fs/promises';
import path from 'node:path';
import { sleep } from '../sleep.ts';
import { CONTROLLERS, detectLayout, distinct, limitWrites, parseCpuUsec, parseOomKills, statFiles, vsDirs, type CgroupLayout, type Controller, type VsLimits } from './cgroup-layout.ts';

export interface VsUsage {
  memoryBytes: number;
  cpuUsec: number;
  pids: number;
  oomKills: number;
}

export interface Cgroups {
  readonly version: 1 | 2;
  /** Create the VS's groups (fresh) and write its limits; returns the directories to join. */
  create(vs: string, limits: VsLimits): Promise<string[]>;
  usage(vs: string): Promise<VsUsage>;
  /** Change a running VS's memory limit (v1: the swap limit moved so it never sits below the memory one). */
  setMemory(vs: string, bytes: number): Promise<void>;
  /** The VS's distinct group directories (joined by writing a pid to their cgroup.procs). */
  dirs(vs: string): string[];
  /** Process ids in the VS's groups. */
  pids(vs: string): Promise<number[]>;
  /** SIGKILL everything in the VS's groups until they are empty (or the deadline passes). */
  killAll(vs: string, timeoutMs?: number): Promise<void>;
  remove(vs: string): Promise<void>;
  /** VS names with groups under this instance. */
  list(): Promise<string[]>;
  /** Remove the instance's (empty) groups. */
  removeInstance(): Promise<void>;
}

/** Detect the machine's cgroups; undefined if the memory, cpu and pids controllers are not all available. */
export async function openCgroups(instance: string): Promise<Cgroups | undefined> {
  const [mountinfo, self] = await Promise.all([readFile('/proc/self/mountinfo', 'utf8'), readFile('/proc/self/cgroup', 'utf8')]).catch(() => ['', '']);
  const layout = detectLayout(mountinfo, self);
  if (!layout) return undefined;
  const parents = await chooseParents(layout);
  return cgroupsAt(layout, parents, instance);
}

export function cgroupsAt(layout: CgroupLayout, parents: Record<Controller, string>, instance: string): Cgroups {
  const files = statFiles(layout.version);
  const dirs = (vs: string) => vsDirs(parents, instance, vs);
  const instanceDirs = distinct(vsDirs(parents, instance, '.'));

  async function readStat(vs: string, [c, f]: readonly [Controller, string]): Promise<string> {
    return readFile(path.join(dirs(vs)[c], f), 'utf8').catch(() => '');
  }

  const self: Cgroups = {
    version: layout.version,

    async create(vs, limits) {
      await self.killAll(vs, 2_000);
      await self.remove(vs);
      const d = dirs(vs);
      if (layout.version === 2) await enableControllers(parents.memory, instance);
      for (const dir of distinct(d)) await mkdir(dir, { recursive: true });
      for (const w of limitWrites(layout.version, limits)) {
        await writeFile(path.join(d[w.controller], w.file), w.value).catch((err: unknown) => {
          if (!w.optional) throw err;
        });
      }
      return distinct(d);
    },

    async setMemory(vs, bytes) {
      const dir = dirs(vs).memory;
      if (layout.version === 2) return writeFile(path.join(dir, 'memory.max'), String(bytes));
      const current = Number((await readFile(path.join(dir, 'memory.limit_in_bytes'), 'utf8')).trim());
      const order = bytes > current ? ['memory.memsw.limit_in_bytes', 'memory.limit_in_bytes'] : ['memory.limit_in_bytes', 'memory.memsw.limit_in_bytes'];
      for (const file of order) {
        await writeFile(path.join(dir, file), String(bytes)).catch((err: unknown) => {
          if (file === 'memory.limit_in_bytes' || (err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        });
      }
    },

    dirs: (vs) => distinct(dirs(vs)),

    async usage(vs) {
      const [mem, cpu, pids, oom] = await Promise.all([readStat(vs, files.memory), readStat(vs, files.cpu), readStat(vs, files.pids), readStat(vs, files.oom)]);
      return { memoryBytes: Number(mem.trim()) || 0, cpuUsec: parseCpuUsec(layout.version, cpu), pids: Number(pids.trim()) || 0, oomKills: parseOomKills(oom) };
    },

    async pids(vs) {
      const all = new Set<number>();
      for (const dir of distinct(dirs(vs))) {
        const text = await readFile(path.join(dir, 'cgroup.procs'), 'utf8').catch(() => '');
        for (const p of text.split('\n')) if (p) all.add(Number(p));
      }
      return [...all];
    },

    async killAll(vs, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const pids = await self.pids(vs);
        if (pids.length === 0 || Date.now() > deadline) return;
        for (const p of pids) {
          try {
            process.kill(p, 'SIGKILL');
          } catch {
            // already gone
          }
        }
        await sleep(10);
      }
    },

    async remove(vs) {
      for (const dir of distinct(dirs(vs))) await rmdirRetry(dir);
    },

    async removeInstance() {
      for (const dir of instanceDirs) await rmdir(dir).catch(() => undefined);
    },

    async list() {
      const names = new Set<string>();
      for (const dir of instanceDirs) {
        for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) if (e.isDirectory()) names.add(e.name);
      }
      return [...names];
    },
  };
  return self;
}

/** v1: under the agent's own group where writable (it may carry limits of its own), else the mount. v2: the root. */
async function chooseParents(layout: CgroupLayout): Promise<Record<Controller, string>> {
  const out = {} as Record<Controller, string>;
  for (const c of CONTROLLERS) {
    out[c] = layout.mounts[c];
    if (layout.version === 1 && (await writable(layout.own[c]))) out[c] = layout.own[c];
  }
  return out;
}

async function writable(dir: string): Promise<boolean> {
  const probe = path.join(dir, 'corral');
  try {
    await mkdir(probe, { recursive: true });
    await access(path.join(probe, 'cgroup.procs'));
    return true;
  } catch {
    return false;
  }
}

/** v2: controllers must be enabled in every ancestor's cgroup.subtree_control. */
async function enableControllers(root: string, instance: string): Promise<void> {
  const chain = [root, path.join(root, 'corral'), path.join(root, 'corral', instance)];
  for (const dir of chain) {
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'cgroup.subtree_control'), '+memory +cpu +pids').catch(() => undefined);
  }
}

/** rmdir of a cgroup fails with EBUSY for a moment after its last process exits. */
async function rmdirRetry(dir: string): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      await rmdir(dir);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (i >= 50) throw err;
      await sleep(20);
    }
  }
}
