// Each served file's ETag. An engine unpacks a release with every file's sha256 beside its
// files (`.corral/digests.json` at its root, src/lib/release-digests.ts, hashed as the bytes
// were written), so a file's ETag is made from its bytes: the same on every engine, and in
// every release that holds the same bytes — a deploy leaves an unchanged file's ETag as it
// was, and its visitors' revalidations get 304s. Nothing is hashed here: the digests are read
// once per release root (a Map lookup per request after that), and kept for at most MAX_FILES
// files of all roots together, the least recently used root out (read again when asked again).
// A file they do not describe — a root no engine unpacked (CORRAL_WEB_ROOT on a folder), a
// release unpacked before engines wrote digests, a size that differs — gets the weak ETag
// from its size and mtime.

import fs from 'node:fs/promises';
import path from 'node:path';
import { DIGESTS_PATH, parseDigests } from '../lib/release-digests.ts';
import { contentEtag, weakEtag, type FileVersion } from './validators.ts';

/**
 * Files whose ETags are kept, all roots together: ≈ 250 B of heap each, so at most ≈ 10 MB (a
 * pool VS's limit is 128 MiB + 1 MiB a site), two releases of the most entries an archive may
 * have (20,000); a 10,000-file release's digests are read and made ETags in tens of ms.
 */
export const MAX_FILES = 40_000;
/** A digests file larger than this is not read (20,000 entries, a release's most, take ≈ 2 MB). */
const MAX_DIGESTS_BYTES = 16 * 1024 * 1024;

interface Tag {
  size: number;
  etag: string;
}
type Tags = ReadonlyMap<string, Tag>;

export class ReleaseEtags {
  readonly #roots = new Map<string, Promise<Tags | undefined>>(); // in use order: the first is the least recent
  readonly #counted = new Map<string, number>(); // files counted for each root read
  #files = 0;
  readonly #max: number;

  constructor(maxFiles = MAX_FILES) {
    this.#max = maxFiles;
  }

  /** The ETag of the file at realPath, inside the site root realRoot (both real paths); f: its fstat. */
  async etagFor(realRoot: string, realPath: string, f: FileVersion): Promise<string> {
    const tags = await this.#tagsOf(realRoot);
    const rel = realPath.startsWith(realRoot + path.sep) ? realPath.slice(realRoot.length + 1) : undefined;
    const tag = rel === undefined ? undefined : tags?.get(rel);
    return tag !== undefined && tag.size === f.size ? tag.etag : weakEtag(f);
  }

  /** Files whose ETags are kept now (tests). */
  get files(): number {
    return this.#files;
  }

  #tagsOf(root: string): Promise<Tags | undefined> {
    const known = this.#roots.get(root);
    if (known !== undefined) {
      this.#roots.delete(root); // to the most recent end
      this.#roots.set(root, known);
      return known;
    }
    const reading: Promise<Tags | undefined> = readTags(root).then(
      (tags) => {
        this.#count(root, reading, tags?.size ?? 0);
        return tags;
      },
      () => {
        if (this.#roots.get(root) === reading) this.#roots.delete(root); // an I/O error: read again next time
        return undefined;
      },
    );
    this.#roots.set(root, reading);
    return reading;
  }

  /** Count a root read (a root without digests as one file, so that the roots kept are bounded too), then make room. */
  #count(root: string, reading: Promise<Tags | undefined>, n: number): void {
    if (this.#roots.get(root) !== reading) return; // made room for another meanwhile
    const files = Math.max(1, n);
    this.#counted.set(root, files);
    this.#files += files;
    for (const [other] of this.#roots) {
      if (this.#files <= this.#max) break;
      const counted = this.#counted.get(other);
      if (other === root || counted === undefined) continue; // this one, or one still read
      this.#roots.delete(other);
      this.#counted.delete(other);
      this.#files -= counted;
    }
  }
}

/** The root's digests as ETags by relative path; undefined: it has none (or none readable as such). Throws on an I/O error. */
async function readTags(root: string): Promise<Tags | undefined> {
  const file = path.join(root, DIGESTS_PATH);
  let text: string;
  try {
    const st = await fs.stat(file);
    if (!st.isFile() || st.size > MAX_DIGESTS_BYTES) return undefined;
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
  let digests;
  try {
    digests = parseDigests(text);
  } catch {
    return undefined; // not ours to trust: weak ETags
  }
  const tags = new Map<string, Tag>();
  for (const [rel, d] of digests) tags.set(rel, { size: d.size, etag: contentEtag(d.sha256) });
  return tags;
}
