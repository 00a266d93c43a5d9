// Per-entry rules: what an entry may be called, what it may be, and the running limits.
import type { ReadEntry } from 'tar';
import { RESERVED_ROOT_NAME } from '../release-digests.ts';
import { entrySegments, linkTarget } from './entry-path.ts';
import { TarballError, quote } from './errors.ts';
import type { TarLimits } from './limits.ts';
import { bytesText } from '../byte-text.ts';
import type { EntryKind } from './tree.ts';

/** One entry that passed the per-entry checks. */
export interface CheckedEntry {
  index: number;
  kind: EntryKind;
  /** Normalised path segments; empty for the root directory. */
  segments: string[];
  /** The path as written in the archive, for messages. */
  entry: string;
  /** Symlink target as it will be written. */
  target: string | undefined;
  size: number;
  /** 0o755 if the archive gave any execute bit, else 0o644; directories always 0o755. */
  mode: number;
}

/** Per-entry rules that need no knowledge of later entries. */
export class EntryChecker {
  entries = 0;
  files = 0;
  fileBytes = 0;

  constructor(private readonly limits: Readonly<TarLimits>) {}

  check(entry: ReadEntry): CheckedEntry {
    const index = this.entries++;
    const raw = entry.path;
    if (this.entries > this.limits.maxEntries) {
      throw new TarballError('tarball_too_many_files', `release has more than ${this.limits.maxEntries} entries (files, directories and links)`, { entry: raw });
    }
    const segments = entrySegments(raw, this.limits.maxPathBytes);
    const kind = entryKind(entry);
    // letter case aside: on a case-insensitive file system `.CORRAL` is that folder too
    if (segments[0]?.toLowerCase() === RESERVED_ROOT_NAME) {
      throw new TarballError('tarball_reserved_name', `entry ${quote(raw)} is in ${RESERVED_ROOT_NAME}/ at the release root, which Corral keeps for its own files (corral deploy never packs a ${RESERVED_ROOT_NAME} folder)`, { entry: raw });
    }
    if (segments.length === 0 && kind !== 'directory') {
      throw new TarballError('tarball_path_traversal', `entry ${quote(raw)} names the release root itself`, { entry: raw });
    }
    const size = entry.size;
    if (!Number.isSafeInteger(size) || size < 0) throw corrupt(`entry ${quote(raw)} has an invalid size`, undefined, raw);
    if (kind === 'file') {
      this.files += 1;
      this.fileBytes += size;
      if (this.fileBytes > this.limits.maxUnpackedBytes) {
        throw new TarballError('tarball_too_large', `release unpacks to more than ${bytesText(this.limits.maxUnpackedBytes)} (the limit), reached at entry ${quote(raw)}`, { entry: raw });
      }
    }
    const target = kind === 'symlink' ? linkTarget(entry.linkpath, raw, segments, this.limits.maxPathBytes) : undefined;
    const mode = kind === 'file' && ((entry.mode ?? 0) & 0o111) === 0 ? 0o644 : 0o755;
    return { index, kind, segments, entry: raw, target, size, mode };
  }

  /** Entries the Parser skips (unknown types, oversized extended headers) are refused, never ignored. */
  ignored(entry: ReadEntry): TarballError {
    if (entry.meta) return corrupt(`an extended header before ${quote(entry.path)} is larger than allowed`, undefined, entry.path);
    return new TarballError('tarball_special_file', `entry ${quote(entry.path)} has an unsupported type (${entry.type})`, { entry: entry.path });
  }
}

function entryKind(entry: ReadEntry): EntryKind {
  switch (entry.type) {
    case 'File':
    case 'OldFile':
    case 'ContiguousFile':
      return 'file';
    case 'Directory':
      return 'directory';
    case 'SymbolicLink':
      return 'symlink';
    case 'Link':
      throw new TarballError('tarball_hardlink', `entry ${quote(entry.path)} is a hard link; hard links are not accepted`, { entry: entry.path });
    default:
      throw new TarballError('tarball_special_file', `entry ${quote(entry.path)} is a ${entry.type}; only files, directories and symlinks are accepted`, { entry: entry.path });
  }
}


function corrupt(message: string, cause?: unknown, entry?: string): TarballError {
  return new TarballError('tarball_corrupt', message, { cause, entry });
}
