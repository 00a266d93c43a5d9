// Entry paths and symlink targets: the lexical rules, applied to the path exactly as extraction will use it.
import { TarballError, quote } from './errors.ts';

const MAX_SEGMENT_BYTES = 255; // NAME_MAX on Linux and macOS

/**
 * The segments of an entry path relative to the archive root, after normalisation:
 * backslashes count as separators, empty and `.` segments drop out, `..` pops a segment.
 * An empty result is the root itself. Throws for absolute paths, climbing above the root,
 * NUL bytes and over-long paths. Extraction writes exactly `segments.join('/')`, so a `..`
 * never reaches the file system.
 */
export function entrySegments(raw: string, maxPathBytes: number): string[] {
  const text = checkText(raw, raw, maxPathBytes, 'path');
  if (isAbsolute(text)) throw new TarballError('tarball_absolute_path', `entry ${quote(raw)} has an absolute path`, { entry: raw });
  const segments: string[] = [];
  for (const segment of text.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (segments.pop() === undefined) {
        throw new TarballError('tarball_path_traversal', `entry ${quote(raw)} leads outside the release root`, { entry: raw });
      }
      continue;
    }
    if (Buffer.byteLength(segment) > MAX_SEGMENT_BYTES) {
      throw new TarballError('tarball_path_too_long', `entry ${quote(raw)} has a name longer than ${MAX_SEGMENT_BYTES} bytes`, { entry: raw });
    }
    segments.push(segment);
  }
  return segments;
}

/**
 * A symlink target as it will be written (backslashes turned into slashes, nothing else
 * changed). Rejects absolute and empty targets, and targets that climb above the root
 * lexically from the link's directory. Whether the target escapes by way of other links is
 * decided later, once every entry is known (see ArchiveTree.checkLinks).
 */
export function linkTarget(raw: string | undefined, entry: string, linkSegments: readonly string[], maxPathBytes: number): string {
  if (raw === undefined || raw === '') throw new TarballError('tarball_link_escape', `symlink ${quote(entry)} has an empty target`, { entry });
  const text = checkText(raw, entry, maxPathBytes, 'symlink target');
  if (isAbsolute(text)) throw new TarballError('tarball_link_escape', `symlink ${quote(entry)} points to the absolute path ${quote(raw)}`, { entry });
  let depth = linkSegments.length - 1;
  for (const segment of text.split('/')) {
    if (segment === '..') depth -= 1;
    else if (segment !== '' && segment !== '.') depth += 1;
    if (depth < 0) throw new TarballError('tarball_link_escape', `symlink ${quote(entry)} points outside the release root (${quote(raw)})`, { entry });
  }
  return text;
}

function checkText(raw: string, entry: string, maxPathBytes: number, what: string): string {
  if (raw.includes('\0')) throw new TarballError('tarball_corrupt', `entry ${quote(entry)} has a NUL byte in its ${what}`, { entry });
  if (Buffer.byteLength(raw) > maxPathBytes) {
    throw new TarballError('tarball_path_too_long', `entry ${quote(entry)} has a ${what} longer than ${maxPathBytes} bytes`, { entry });
  }
  return raw.replaceAll('\\', '/');
}

/** `/x`, `//host/share` (after backslashes became slashes) and drive paths like `C:x` or `C:/x`. */
function isAbsolute(text: string): boolean {
  return text.startsWith('/') || /^[A-Za-z]:/.test(text);
}
