// Pass 2: extract a tarball that pass 1 accepted into a private temp dir, then rename it into place.
import { createHash } from 'node:crypto';
import { chmod, lstat, mkdir, mkdtemp, rename, rm, symlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { ReadEntry } from 'tar';
import { writeDigests, type FileDigest } from '../release-digests.ts';
import { TarballError, quote } from './errors.ts';
import { SMALL_FILE_BYTES, collect, writeNewFile, writeStreaming } from './file-writer.ts';
import { inspectPlan } from './inspect.ts';
import { resolveLimits, type TarLimits } from './limits.ts';
import { walkTarball, type CheckedEntry, type TarballSummary } from './walk.ts';

export type ExtractResult =
  | { created: true; summary: TarballSummary }
  /** `dest` already existed: releases are content-addressed, so it is taken as done. */
  | { created: false };

export interface ExtractOptions {
  /**
   * Also write the sha256 of every file (`.corral/digests.json`, src/lib/release-digests.ts),
   * hashed as its bytes are written: a release's files' ETags (the web runtime).
   */
  digests?: boolean;
}

/** Small files written in the background at once. */
const WRITERS = 16;

/**
 * Validates `file` completely (pass 1), then extracts it (pass 2) into a temp dir beside
 * `dest` and renames that into place, so `dest` appears whole or not at all (its digests
 * too, when asked). On any failure the temp dir is removed. Throws TarballError for a refused archive.
 */
export async function extractTarball(file: string, dest: string, limits?: Partial<TarLimits>, opts: ExtractOptions = {}): Promise<ExtractResult> {
  if (await exists(dest)) return { created: false };
  const resolved = resolveLimits(limits);
  const { plan } = await inspectPlan(file, resolved);

  await mkdir(dirname(dest), { recursive: true });
  const tmp = await mkdtemp(join(dirname(dest), `.${basename(dest)}.partial-`));
  try {
    const digests = opts.digests === true ? new Map<string, FileDigest>() : undefined;
    const summary = await walkTarball(file, resolved, writer(tmp, plan, digests));
    if (summary.entries !== plan.length) {
      throw new TarballError('tarball_corrupt', 'the archive changed while it was being extracted (entry count differs)');
    }
    if (digests !== undefined) await writeDigests(tmp, digests);
    await chmod(tmp, 0o755);
    try {
      await rename(tmp, dest);
    } catch (err) {
      if (!isCode(err, 'EEXIST', 'ENOTEMPTY')) throw err;
      await rm(tmp, { recursive: true, force: true }); // another extraction of the same release won
      return { created: false };
    }
    return { created: true, summary };
  } catch (err) {
    await rm(tmp, { recursive: true, force: true }); // rm never follows symlinks
    throw err;
  }
}

/** The pass-2 visitor: the entry must match the plan, then it is written under `root` (its digest into `digests`, when given). */
function writer(root: string, plan: readonly CheckedEntry[], digests: Map<string, FileDigest> | undefined) {
  const made = new Set<string>(['']);
  const slots = semaphore(WRITERS);

  async function ensureDir(segments: readonly string[]): Promise<void> {
    for (let i = 1; i <= segments.length; i++) {
      const rel = segments.slice(0, i).join('/');
      if (made.has(rel)) continue;
      const abs = join(root, rel);
      try {
        await mkdir(abs, { mode: 0o755 });
      } catch (err) {
        if (!isCode(err, 'EEXIST')) throw err;
      }
      const st = await lstat(abs);
      if (!st.isDirectory()) throw new Error(`extraction expected a directory at ${abs}`);
      await chmod(abs, 0o755);
      made.add(rel);
    }
  }

  return async (entry: ReadEntry, checked: CheckedEntry, signal: AbortSignal): Promise<void> => {
    if (!samePlan(plan[checked.index], checked)) {
      throw new TarballError('tarball_corrupt', `the archive changed while it was being extracted (at ${quote(checked.entry)})`, { entry: checked.entry });
    }
    const { segments } = checked;
    const abs = join(root, ...segments);
    switch (checked.kind) {
      case 'directory':
        await ensureDir(segments);
        entry.resume();
        return;
      case 'symlink':
        await ensureDir(segments.slice(0, -1));
        await symlink(checked.target as string, abs);
        entry.resume();
        return;
      case 'file': {
        await ensureDir(segments.slice(0, -1));
        const hash = digests === undefined ? undefined : createHash('sha256');
        if (checked.size > SMALL_FILE_BYTES) {
          await writeStreaming(entry, abs, checked, signal, hash);
        } else {
          // Small files: take the data, let the parser move on, and write in the background,
          // a few at a time (extraction is bound by file-system round trips, not bytes).
          const release = await slots.acquire();
          try {
            const data = await collect(entry, checked, signal);
            hash?.update(data);
            await writeNewFile(abs, checked, data);
          } finally {
            release();
          }
        }
        if (hash !== undefined) digests?.set(segments.join('/'), { size: checked.size, sha256: hash.digest('hex') });
      }
    }
  };
}

/** At most `n` holders at a time. */
function semaphore(n: number): { acquire(): Promise<() => void> } {
  let free = n;
  const waiting: (() => void)[] = [];
  const release = (): void => {
    const next = waiting.shift();
    if (next) next();
    else free += 1;
  };
  return {
    async acquire() {
      if (free > 0) free -= 1;
      else await new Promise<void>((resolve) => waiting.push(resolve));
      return once(release);
    },
  };
}

function once(fn: () => void): () => void {
  let done = false;
  return () => {
    if (!done) {
      done = true;
      fn();
    }
  };
}

function samePlan(planned: CheckedEntry | undefined, seen: CheckedEntry): boolean {
  return planned !== undefined && planned.kind === seen.kind && planned.size === seen.size && planned.target === seen.target
    && planned.mode === seen.mode && planned.segments.join('/') === seen.segments.join('/');
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (err) {
    if (isCode(err, 'ENOENT')) return false;
    throw err;
  }
}

function isCode(err: unknown, ...codes: string[]): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && codes.includes(code);
}
