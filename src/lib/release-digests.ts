// The sha256 of every regular file of an unpacked release, written by the extraction itself
// (the bytes pass through it anyway) into `.corral/digests.json` at the release root, beside
// the files it describes, and read by the web runtime to make a file's ETag from its bytes.
// `.corral` at a release's root is Corral's own: an archive that carries one is refused
// (tarball_reserved_name), so the digests there are always the extraction's.
//
//   { "format": "corral-release-digests", "version": 1,
//     "files": { "index.html": [1541, "<sha256 hex>"], "css/site.css": [2205, "…"] } }
//
// Paths are relative to the release root with `/` between segments, as extraction writes them.

import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { byText } from './text-order.ts';

/** The folder at a release root that Corral keeps for itself (refused in archives). */
export const RESERVED_ROOT_NAME = '.corral';
/** Where the digests are, relative to the release root. */
export const DIGESTS_PATH = `${RESERVED_ROOT_NAME}/digests.json`;
const FORMAT = 'corral-release-digests';
const VERSION = 1;
const SHA256 = /^[0-9a-f]{64}$/;

export interface FileDigest {
  size: number;
  /** Lower-case hex, 64 characters. */
  sha256: string;
}

/** Write `digests` (relative path → digest) at root's DIGESTS_PATH, readable by the VS that serves the release. */
export async function writeDigests(root: string, digests: ReadonlyMap<string, FileDigest>): Promise<void> {
  const files: Record<string, [number, string]> = {};
  for (const [rel, d] of [...digests].sort(([a], [b]) => byText(a, b))) files[rel] = [d.size, d.sha256];
  const file = path.join(root, DIGESTS_PATH);
  await mkdir(path.dirname(file), { mode: 0o755 });
  await writeFile(file, JSON.stringify({ format: FORMAT, version: VERSION, files }), { mode: 0o644, flag: 'wx' });
}

/** The digests in a DIGESTS_PATH file's text; throws if it is not one. */
export function parseDigests(text: string): Map<string, FileDigest> {
  const doc = JSON.parse(text) as { format?: unknown; version?: unknown; files?: unknown };
  if (doc.format !== FORMAT || doc.version !== VERSION || typeof doc.files !== 'object' || doc.files === null || Array.isArray(doc.files)) {
    throw new Error(`not a ${FORMAT} file of version ${VERSION}`);
  }
  const out = new Map<string, FileDigest>();
  const files = doc.files as Record<string, unknown>;
  for (const rel in files) {
    const v = files[rel];
    if (!Array.isArray(v) || !Number.isSafeInteger(v[0]) || (v[0] as number) < 0 || typeof v[1] !== 'string' || !SHA256.test(v[1])) {
      throw new Error(`a malformed digest for ${JSON.stringify(rel)}`);
    }
    out.set(rel, { size: v[0] as number, sha256: v[1] });
  }
  return out;
}
