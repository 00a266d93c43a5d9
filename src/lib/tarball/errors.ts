// TarballError: why a release tarball was refused. Every code is listed here with its status.
import { CorralError } from '../errors.ts';

/** Every code a TarballError can carry: its HTTP status and what it means for the customer. */
export const TARBALL_ERRORS = {
  tarball_corrupt: { status: 400, meaning: 'not a gzip-compressed tar archive, or truncated or damaged' },
  tarball_empty: { status: 400, meaning: 'there is nothing to pack, or the archive holds no entries (only zero blocks)' },
  tarball_absolute_path: { status: 400, meaning: 'an entry path is absolute (/x, \\x, C:x)' },
  tarball_path_traversal: { status: 400, meaning: 'an entry path climbs out of the archive root with .., or names the root itself' },
  tarball_path_too_long: { status: 400, meaning: 'an entry path or symlink target is longer than allowed' },
  tarball_path_conflict: { status: 400, meaning: 'two entries claim one path (also when they differ only in letter case), or a file is used as a directory' },
  tarball_path_through_link: { status: 400, meaning: 'an entry lies beneath a symlink from the same archive' },
  tarball_link_escape: { status: 400, meaning: 'a symlink target is absolute, leads outside the archive root, or loops' },
  tarball_hardlink: { status: 400, meaning: 'hard links are not accepted' },
  tarball_special_file: { status: 400, meaning: 'an entry is not a file, directory or symlink (device, FIFO, …)' },
  tarball_reserved_name: { status: 400, meaning: 'an entry lies in .corral/ at the archive root, which Corral keeps for its own files (the digests of a release)' },
  tarball_too_large: { status: 413, meaning: 'the compressed or unpacked size is over the limit' },
  tarball_too_many_files: { status: 413, meaning: 'the archive has more entries than allowed' },
  tarball_expansion_ratio: { status: 413, meaning: 'the archive unpacks to too many times its compressed size' },
} as const satisfies Record<string, { status: 400 | 413; meaning: string }>;

export type TarballErrorCode = keyof typeof TARBALL_ERRORS;

export class TarballError extends CorralError {
  declare readonly code: TarballErrorCode;
  /** The offending entry's path as written in the archive, when there is one. */
  readonly entry: string | undefined;

  constructor(code: TarballErrorCode, message: string, options?: { entry?: string; cause?: unknown }) {
    super(code, TARBALL_ERRORS[code].status, message, { cause: options?.cause });
    this.entry = options?.entry;
  }
}

/** An entry name fit for an error message: quoted, control characters escaped, long names cut. */
export function quote(name: string): string {
  const shown = name.length > 200 ? `${name.slice(0, 200)}…` : name;
  return JSON.stringify(shown);
}
