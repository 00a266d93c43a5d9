// The namespace runtime's columns of `corral vs list`: limits, usage and the last exit.
import type { VsStatus } from '../../model/index.ts';

type Columns = Partial<Pick<VsStatus, 'runtime' | 'limits' | 'usage' | 'lastExit' | 'notEnforced'>>;

const mib = (b: number) => `${Math.round(b / 2 ** 20)}M`;

export function limitsText(v: Columns): string | undefined {
  const l = v.limits;
  if (!l && v.runtime === 'process') return 'not enforced (process runtime)';
  const not = v.notEnforced?.length ? `; not enforced: ${v.notEnforced.join(', ')}` : '';
  return l ? `mem ${mib(l.memoryBytes)} cpu ${l.cpuQuota > 0 ? l.cpuQuota : '∞'}×w${l.cpuWeight} pids ${l.pidsMax} disk ${mib(l.diskBytes)}${not}` : undefined;
}

export function usageText(v: Columns): string | undefined {
  const u = v.usage;
  return u ? `mem ${mib(u.memoryBytes)} cpu ${(u.cpuUsec / 1e6).toFixed(1)}s pids ${u.pids} disk ${mib(u.diskBytes)}` : undefined;
}

/** Memory in use, short (the default listing's MEM column). */
export function memText(v: Columns): string | undefined {
  return v.usage ? mib(v.usage.memoryBytes) : undefined;
}

export function lastExitText(v: Columns): string | undefined {
  const e = v.lastExit;
  if (!e) return undefined;
  return `${e.oom ? 'OOM ' : ''}${e.signal ?? `code ${e.code}`}`;
}
