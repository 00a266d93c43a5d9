// Pass 1: read the whole archive, check every entry and how they relate, write nothing.
// A caller may ask for the contents of a few files at the archive's root (the controller
// checks a static site's `_redirects` before it records the release).
import type { ReadEntry } from 'tar';
import { resolveLimits, type TarLimits } from './limits.ts';
import { ArchiveTree, type EntryKind } from './tree.ts';
import { walkTarball, type CheckedEntry, type TarballSummary } from './walk.ts';

export interface Inspection {
  summary: TarballSummary;
  /** Every entry in archive order, as checked: extraction must see exactly these again. */
  plan: CheckedEntry[];
  /** The root files asked for that the archive holds, by name. */
  rootFiles: Map<string, RootFile>;
}

export interface InspectOptions {
  /** Entries at the archive's root to return (rootFiles), with the bytes of each regular file of at most maxBytes. */
  rootFiles?: { names: readonly string[]; maxBytes: number };
}

/** An entry at the archive's root that was asked for. */
export interface RootFile {
  kind: EntryKind;
  size: number;
  /** Its bytes: only for a regular file within the size asked. */
  content?: Buffer;
}

export interface InspectedTarball extends TarballSummary {
  /** Only when asked for (InspectOptions.rootFiles). */
  rootFiles?: ReadonlyMap<string, RootFile>;
}

/** Validates a release tarball without writing anything. Throws TarballError. */
export async function inspectTarball(file: string, limits?: Partial<TarLimits>, opts: InspectOptions = {}): Promise<InspectedTarball> {
  const { summary, rootFiles } = await inspectPlan(file, resolveLimits(limits), opts);
  return opts.rootFiles ? { ...summary, rootFiles } : summary;
}

export async function inspectPlan(file: string, limits: Readonly<TarLimits>, opts: InspectOptions = {}): Promise<Inspection> {
  const tree = new ArchiveTree();
  const plan: CheckedEntry[] = [];
  const rootFiles = new Map<string, RootFile>();
  const wanted = opts.rootFiles;
  const summary = await walkTarball(file, limits, async (entry: ReadEntry, checked: CheckedEntry) => {
    if (checked.segments.length > 0) tree.add(checked.segments, checked.kind, checked.target, checked.entry);
    plan.push(checked);
    const name = checked.segments.length === 1 ? checked.segments[0]! : undefined;
    if (wanted && name !== undefined && wanted.names.includes(name)) {
      const kept: RootFile = { kind: checked.kind, size: checked.size };
      if (checked.kind === 'file' && checked.size <= wanted.maxBytes) kept.content = await readAll(entry);
      else entry.resume();
      rootFiles.set(name, kept);
      return;
    }
    entry.resume();
  });
  tree.checkLinks();
  return { summary, plan, rootFiles };
}

async function readAll(entry: ReadEntry): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of entry) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
