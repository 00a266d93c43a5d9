// Pass 1: read the whole archive, check every entry and how they relate, write nothing.
import type { ReadEntry } from 'tar';
import { resolveLimits, type TarLimits } from './limits.ts';
import { ArchiveTree } from './tree.ts';
import { walkTarball, type CheckedEntry, type TarballSummary } from './walk.ts';

export interface Inspection {
  summary: TarballSummary;
  /** Every entry in archive order, as checked: extraction must see exactly these again. */
  plan: CheckedEntry[];
}

/** Validates a release tarball without writing anything. Throws TarballError. */
export async function inspectTarball(file: string, limits?: Partial<TarLimits>): Promise<TarballSummary> {
  return (await inspectPlan(file, resolveLimits(limits))).summary;
}

export async function inspectPlan(file: string, limits: Readonly<TarLimits>): Promise<Inspection> {
  const tree = new ArchiveTree();
  const plan: CheckedEntry[] = [];
  const summary = await walkTarball(file, limits, async (entry: ReadEntry, checked: CheckedEntry) => {
    if (checked.segments.length > 0) tree.add(checked.segments, checked.kind, checked.target, checked.entry);
    plan.push(checked);
    entry.resume();
  });
  tree.checkLinks();
  return { summary, plan };
}
