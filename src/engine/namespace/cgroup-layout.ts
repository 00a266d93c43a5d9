// Where Corral's cgroups live and which files carry a VS's limits, for cgroup v1 (one
// hierarchy per controller) and v2 (the unified hierarchy). Pure functions of
// /proc/self/mountinfo and /proc/self/cgroup, so they are tested on any machine.

import path from 'node:path';
import { DEFAULT_VS_MEMORY_MB } from '../../model/index.ts';
import type { VsLimitsSpec } from '../runtime.ts';

export type CgroupVersion = 1 | 2;
/** The controllers Corral uses. */
export type Controller = 'memory' | 'cpu' | 'cpuacct' | 'pids';
export const CONTROLLERS: Controller[] = ['memory', 'cpu', 'cpuacct', 'pids'];

export interface CgroupLayout {
  version: CgroupVersion;
  /** Per controller: the directory the agent's own process sits in (v2: the same for all). */
  own: Record<Controller, string>;
  /** Per controller: the mount point (fallback parent when `own` is not writable). */
  mounts: Record<Controller, string>;
}

/** Complete limits of a VS (see VsLimitsSpec in runtime.ts). */
export type VsLimits = VsLimitsSpec;

/** A VS's limits where its site sets none (the memory one is the scheduler's too: src/model vs-memory.ts). */
export const DEFAULT_LIMITS: VsLimits = {
  memoryBytes: DEFAULT_VS_MEMORY_MB * 2 ** 20,
  cpuWeight: 100,
  cpuQuota: 1,
  pidsMax: 128,
  tmpBytes: 64 * 2 ** 20,
  diskBytes: 1024 * 2 ** 20,
};

/** One limit write: `<controller dir>/<file>` ← value. `optional` files may be missing (swap accounting). */
export interface LimitWrite {
  controller: Controller;
  file: string;
  value: string;
  optional?: boolean;
}

const CFS_PERIOD_US = 100_000;

export function limitWrites(version: CgroupVersion, l: VsLimits): LimitWrite[] {
  const quota = l.cpuQuota > 0 ? String(Math.round(l.cpuQuota * CFS_PERIOD_US)) : null;
  if (version === 1) {
    return [
      { controller: 'memory', file: 'memory.limit_in_bytes', value: String(l.memoryBytes) },
      { controller: 'memory', file: 'memory.memsw.limit_in_bytes', value: String(l.memoryBytes), optional: true },
      { controller: 'cpu', file: 'cpu.shares', value: String(Math.max(2, Math.round((l.cpuWeight * 1024) / 100))) },
      { controller: 'cpu', file: 'cpu.cfs_period_us', value: String(CFS_PERIOD_US) },
      { controller: 'cpu', file: 'cpu.cfs_quota_us', value: quota ?? '-1' },
      { controller: 'pids', file: 'pids.max', value: String(l.pidsMax) },
    ];
  }
  return [
    { controller: 'memory', file: 'memory.max', value: String(l.memoryBytes) },
    { controller: 'memory', file: 'memory.swap.max', value: '0', optional: true },
    { controller: 'cpu', file: 'cpu.weight', value: String(Math.min(10_000, Math.max(1, Math.round(l.cpuWeight)))) },
    { controller: 'cpu', file: 'cpu.max', value: `${quota ?? 'max'} ${CFS_PERIOD_US}` },
    { controller: 'pids', file: 'pids.max', value: String(l.pidsMax) },
  ];
}

/** Files read for usage and OOM kills: [controller, file]. */
export function statFiles(version: CgroupVersion) {
  return version === 1
    ? { memory: ['memory', 'memory.usage_in_bytes'], cpu: ['cpuacct', 'cpuacct.usage'], pids: ['pids', 'pids.current'], oom: ['memory', 'memory.oom_control'] } as const
    : { memory: ['memory', 'memory.current'], cpu: ['cpu', 'cpu.stat'], pids: ['pids', 'pids.current'], oom: ['memory', 'memory.events'] } as const;
}

/** OOM kills so far from memory.oom_control (v1) or memory.events (v2): the `oom_kill N` line. */
export function parseOomKills(text: string): number {
  const m = /^oom_kill (\d+)$/m.exec(text);
  return m ? Number(m[1]) : 0;
}

/** CPU time in microseconds: cpuacct.usage is nanoseconds (v1), cpu.stat has usage_usec (v2). */
export function parseCpuUsec(version: CgroupVersion, text: string): number {
  if (version === 1) return Math.round(Number(text.trim()) / 1000) || 0;
  const m = /^usage_usec (\d+)$/m.exec(text);
  return m ? Number(m[1]) : 0;
}

/** The layout from mountinfo and /proc/self/cgroup; undefined when the controllers are not all there. */
export function detectLayout(mountinfo: string, selfCgroup: string): CgroupLayout | undefined {
  const mounts = parseMounts(mountinfo);
  const self = parseSelf(selfCgroup);
  const v1 = CONTROLLERS.every((c) => mounts.v1.has(c));
  if (v1) {
    const own = {} as Record<Controller, string>;
    const at = {} as Record<Controller, string>;
    for (const c of CONTROLLERS) {
      const m = mounts.v1.get(c)!;
      at[c] = m.point;
      own[c] = underMount(m, self.v1.get(c) ?? '/');
    }
    return { version: 1, own, mounts: at };
  }
  if (mounts.v2 && mounts.v1.size === 0) {
    const own = underMount(mounts.v2, self.v2 ?? '/');
    return { version: 2, own: all(own), mounts: all(mounts.v2.point) };
  }
  return undefined;
}

/** A VS's cgroup directory per controller: `<parent>/corral/<instance>/<vs>`, parents as chosen at start. */
export function vsDirs(parents: Record<Controller, string>, instance: string, vs: string): Record<Controller, string> {
  const out = {} as Record<Controller, string>;
  for (const c of CONTROLLERS) out[c] = path.join(parents[c], 'corral', instance, vs);
  return out;
}

/** The distinct directories of a per-controller map (v2, or co-mounted v1 controllers, share one). */
export function distinct(dirs: Record<Controller, string>): string[] {
  return [...new Set(Object.values(dirs))];
}

interface Mount {
  root: string;
  point: string;
}

function parseMounts(text: string): { v1: Map<string, Mount>; v2?: Mount } {
  const v1 = new Map<string, Mount>();
  let v2: Mount | undefined;
  for (const line of text.split('\n')) {
    const [pre, post] = line.split(' - ');
    if (!pre || !post) continue;
    const f = pre.split(' ');
    const [fstype, , superOpts = ''] = post.split(' ');
    const m = { root: unescape(f[3] ?? '/'), point: unescape(f[4] ?? '') };
    if (fstype === 'cgroup2' && (!v2 || m.point === '/sys/fs/cgroup')) v2 = m;
    if (fstype === 'cgroup') for (const opt of superOpts.split(',')) if ((CONTROLLERS as string[]).includes(opt)) v1.set(opt, m);
  }
  return { v1, v2 };
}

function parseSelf(text: string): { v1: Map<string, string>; v2?: string } {
  const v1 = new Map<string, string>();
  let v2: string | undefined;
  for (const line of text.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    if (m[1] === '0' && m[2] === '') v2 = m[3];
    for (const c of m[2]!.split(',')) v1.set(c, m[3]!);
  }
  return { v1, v2 };
}

/** The mount's directory for a cgroup path (paths are relative to the mount's root). */
function underMount(m: Mount, cgroupPath: string): string {
  const rel = path.posix.relative(m.root, cgroupPath);
  return rel.startsWith('..') ? m.point : path.join(m.point, rel);
}

function all(dir: string): Record<Controller, string> {
  return { memory: dir, cpu: dir, cpuacct: dir, pids: dir };
}

function unescape(s: string): string {
  return s.replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}
