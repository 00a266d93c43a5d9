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

type PoolColumns = { release?: string; pool?: string[]; sites?: Record<string, string> };

/** RELEASE: a pool VS's sites, short (`pool: a b c +7`); any other VS's release. */
export function releaseText(v: PoolColumns): string | undefined {
  if (!v.pool && !v.sites) return v.release;
  const names = poolSites(v);
  return `pool: ${names.length === 0 ? '(no sites)' : names.slice(0, 3).join(' ') + (names.length > 3 ? ` +${names.length - 3}` : '')}`;
}

/** POOL SITES (--wide): each site of a pool VS with the release it serves (`a@v2`), `c@…` while it is not loaded yet. */
export function poolText(v: PoolColumns): string | undefined {
  if (!v.pool && !v.sites) return undefined;
  return poolSites(v).map((n) => `${n}@${v.sites?.[n] ?? '…'}`).join(' ') || '(none)';
}

function poolSites(v: PoolColumns): string[] {
  return [...new Set([...(v.pool ?? []), ...Object.keys(v.sites ?? {})])].sort();
}

export function lastExitText(v: Columns): string | undefined {
  const e = v.lastExit;
  if (!e) return undefined;
  return `${e.oom ? 'OOM ' : ''}${e.signal ?? `code ${e.code}`}`;
}
