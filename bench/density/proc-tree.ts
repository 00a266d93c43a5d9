// The process tree of a `corral up`, read from /proc: each process's memory
// (/proc/<pid>/smaps_rollup: RSS, and PSS, which splits shared pages between the processes
// sharing them, so PSS adds up to what the tree really costs) and CPU time, grouped into
// the farm's parts. Linux only; smaps_rollup of another user's process needs root.
import { execFileSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';

export type Part = 'main' | 'router workers' | 'guests';

/** What each part is, as printed. */
export const PART_LABELS: Record<Part, string> = {
  main: 'corral up process (controller + engine agent + router primary)',
  'router workers': 'router workers',
  guests: 'virtual servers (guests, with their bwrap/wrappers)',
};

export interface ProcessSample {
  pid: number;
  part: Part;
  command: string;
  rssKiB: number;
  pssKiB: number;
  /** utime + stime, in clock ticks. */
  cpuTicks: number;
  /** Field 22 of /proc/<pid>/stat: tells a reused pid from the process sampled. */
  startTime: string;
}

export interface PartTotals {
  processes: number;
  rssKiB: number;
  pssKiB: number;
  cpuTicks: number;
}

export const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** Every process descended from `root` (and root itself), sampled now. Processes that exit meanwhile are skipped. */
export async function sampleTree(root: number): Promise<ProcessSample[]> {
  const stats = new Map<number, { ppid: number; cpuTicks: number; startTime: string }>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readStat(Number(entry));
    if (stat) stats.set(Number(entry), stat);
  }
  const children = new Map<number, number[]>();
  for (const [pid, s] of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), pid]);
  const out: ProcessSample[] = [];
  const visit = async (pid: number, part: Part): Promise<void> => {
    const s = stats.get(pid);
    const command = await readFile(`/proc/${pid}/cmdline`, 'utf8').then((c) => c.replaceAll('\0', ' ').trim(), () => undefined);
    const mem = await readMemory(pid);
    if (s && command !== undefined && mem) out.push({ pid, part, command, ...mem, cpuTicks: s.cpuTicks, startTime: s.startTime });
    for (const child of children.get(pid) ?? []) {
      const childCommand = await readFile(`/proc/${child}/cmdline`, 'utf8').catch(() => '');
      await visit(child, pid === root ? (childCommand.includes('cluster-worker') ? 'router workers' : 'guests') : part);
    }
  };
  await visit(root, 'main');
  return out;
}

export function totals(samples: readonly ProcessSample[]): Record<Part, PartTotals> {
  const t = (): PartTotals => ({ processes: 0, rssKiB: 0, pssKiB: 0, cpuTicks: 0 });
  const by: Record<Part, PartTotals> = { main: t(), 'router workers': t(), guests: t() };
  for (const s of samples) {
    const p = by[s.part];
    p.processes++;
    p.rssKiB += s.rssKiB;
    p.pssKiB += s.pssKiB;
    p.cpuTicks += s.cpuTicks;
  }
  return by;
}

/** CPU used per part between two samples, as % of one core over `seconds` (processes in both samples only). */
export function cpuPercent(before: readonly ProcessSample[], after: readonly ProcessSample[], seconds: number): Record<Part, number> {
  const earlier = new Map(before.map((s) => [`${s.pid}/${s.startTime}`, s.cpuTicks]));
  const pct: Record<Part, number> = { main: 0, 'router workers': 0, guests: 0 };
  for (const s of after) {
    const was = earlier.get(`${s.pid}/${s.startTime}`);
    if (was !== undefined) pct[s.part] += ((s.cpuTicks - was) / CLOCK_TICKS / seconds) * 100;
  }
  return pct;
}

/** Processes of an earlier sample still running (same pid and start time): what a clean stop left behind. */
export async function stillRunning(samples: readonly ProcessSample[]): Promise<ProcessSample[]> {
  const alive: ProcessSample[] = [];
  for (const s of samples) if ((await readStat(s.pid))?.startTime === s.startTime) alive.push(s);
  return alive;
}

async function readStat(pid: number): Promise<{ ppid: number; cpuTicks: number; startTime: string } | undefined> {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (!text) return undefined;
  // after "pid (comm) ": state ppid … — comm may hold spaces and parentheses, so split after the last ')'
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { ppid: Number(f[1]), cpuTicks: Number(f[11]) + Number(f[12]), startTime: f[19] ?? '' };
}

async function readMemory(pid: number): Promise<{ rssKiB: number; pssKiB: number } | undefined> {
  const text = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8').catch(() => undefined);
  if (!text) return undefined;
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
  return { rssKiB: field('Rss'), pssKiB: field('Pss') };
}
