// Unpacked releases on this engine: `<dir>/releases/<sha256>/`, fetched (the blob is
// verified by fetchBlob) and extracted once (unpackRelease: with its files' digests, within
// the size limits the release was accepted under: release-limits.ts), shared by every VS of
// that release. The first caller's release names the limits: any release with the same
// content was accepted under its own, so the content fits each of them. Once
// unpacked, the fetched tarball is dropped (dropBlob, where the engine keeps its own
// copy). prune(keep) removes the releases not in `keep` (the disk janitor decides what
// is kept), never one being fetched or extracted.

import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { extractTarball } from '../lib/tarball.ts';
import type { ReleaseLimits } from '../model/index.ts';
import { enginePaths, releasePath } from './paths.ts';
import type { ReleaseLimitsOf, ReleaseRef } from './release-limits.ts';

export type FetchBlob = (sha256: string) => Promise<string>;
/** limits: the release's own (Release.limits); absent, the library's defaults. */
export type Extract = (tarball: string, dest: string, limits?: ReleaseLimits) => Promise<unknown>;

/**
 * The engine's Extract: the release with the sha256 of each file beside its files
 * (`.corral/digests.json`, src/lib/release-digests.ts), hashed as the bytes are written. The web
 * runtime makes each file's ETag from it, so the same bytes have the same ETag on every engine
 * and in every release.
 */
export function unpackRelease(tarball: string, dest: string, limits?: ReleaseLimits): Promise<unknown> {
  return extractTarball(tarball, dest, limits, { digests: true });
}

export interface ReleaseCache {
  /** The release's directory, fetching and extracting it first if needed (`of`: which release it is, for its limits). */
  ensure(sha256: string, of?: Omit<ReleaseRef, 'sha256'>): Promise<string>;
  /** The unpacked releases on disk, by sha256. */
  list(): Promise<string[]>;
  /** Remove every unpacked release not in keep (and not being prepared); returns the sha256s removed. */
  prune(keep: ReadonlySet<string>): Promise<string[]>;
}

export interface ReleaseCacheOptions {
  dir: string;
  fetchBlob: FetchBlob;
  extract: Extract;
  /** The limits a release was accepted under (release-limits.ts); without it, or for an ensure() without `of`, the defaults. */
  limitsOf?: ReleaseLimitsOf;
  /** Called once a release is unpacked: the fetched tarball is not needed any more. */
  dropBlob?: (sha256: string) => Promise<void>;
}

const SHA256 = /^[0-9a-f]{64}$/;

export function createReleaseCache(opts: ReleaseCacheOptions): ReleaseCache {
  const inflight = new Map<string, Promise<string>>();
  const removing = new Map<string, Promise<void>>();
  const root = enginePaths(opts.dir).releases;

  async function prepare(sha256: string, dest: string, of: Omit<ReleaseRef, 'sha256'> | undefined): Promise<string> {
    await removing.get(sha256);
    if (await isDir(dest)) return dest;
    const limits = of && opts.limitsOf ? await opts.limitsOf({ ...of, sha256 }) : undefined;
    const tarball = await opts.fetchBlob(sha256);
    await opts.extract(tarball, dest, limits);
    await opts.dropBlob?.(sha256).catch(() => undefined);
    return dest;
  }

  async function list(): Promise<string[]> {
    return (await readdir(root).catch(() => [] as string[])).filter((n) => SHA256.test(n));
  }

  return {
    ensure(sha256, of) {
      let dest: string;
      try {
        dest = releasePath(opts.dir, sha256);
      } catch (err) {
        return Promise.reject(err);
      }
      let p = inflight.get(sha256);
      if (!p) {
        p = prepare(sha256, dest, of).finally(() => inflight.delete(sha256));
        inflight.set(sha256, p);
      }
      return p;
    },

    list,

    async prune(keep) {
      const removed: string[] = [];
      for (const sha256 of await list()) {
        if (keep.has(sha256) || inflight.has(sha256)) continue;
        // an ensure() of it meanwhile waits for the removal, then unpacks it again
        const done = rm(path.join(root, sha256), { recursive: true, force: true }).finally(() => removing.delete(sha256));
        removing.set(sha256, done);
        await done;
        removed.push(sha256);
      }
      // an extraction's temp dir (`.<sha256>.partial-*`) is left only by a crash
      // (checked per name, at its removal: an ensure() may begin while this loop awaits)
      for (const name of await readdir(root).catch(() => [] as string[])) {
        const partial = /^\.([0-9a-f]{64})\.partial-/.exec(name);
        if (partial && !inflight.has(partial[1]!)) await rm(path.join(root, name), { recursive: true, force: true });
      }
      return removed;
    },
  };
}

/** The path exists and is a directory (false for anything else, or nothing). */
export async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}
