// Unpacked releases on this engine: `<dir>/releases/<sha256>/`, fetched (the blob is
// verified by fetchBlob) and extracted once, shared by every VS of that release.

import { stat } from 'node:fs/promises';
import { releasePath } from './paths.ts';

export type FetchBlob = (sha256: string) => Promise<string>;
export type Extract = (tarball: string, dest: string) => Promise<unknown>;

export interface ReleaseCache {
  /** The release's directory, fetching and extracting it first if needed. */
  ensure(sha256: string): Promise<string>;
}

export function createReleaseCache(opts: { dir: string; fetchBlob: FetchBlob; extract: Extract }): ReleaseCache {
  const inflight = new Map<string, Promise<string>>();

  async function prepare(sha256: string, dest: string): Promise<string> {
    if (await isDir(dest)) return dest;
    const tarball = await opts.fetchBlob(sha256);
    await opts.extract(tarball, dest);
    return dest;
  }

  return {
    ensure(sha256) {
      let dest: string;
      try {
        dest = releasePath(opts.dir, sha256);
      } catch (err) {
        return Promise.reject(err);
      }
      let p = inflight.get(sha256);
      if (!p) {
        p = prepare(sha256, dest).finally(() => inflight.delete(sha256));
        inflight.set(sha256, p);
      }
      return p;
    },
  };
}

async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}
