// --max-release-size and --max-release-unpacked (corral up, corral controller): the largest
// release tarball the farm accepts and the most one may unpack to, the same meaning on every
// command that takes them. The controller refuses an upload past either (413, naming the
// flag) and records the limits in the release it accepts, which every engine unpacks it
// with (src/engine/release-limits.ts): the engines need no flag of their own.

import type { Command } from 'commander';
import { CliError } from '../errors.ts';
import { sizeBytes, sizeText } from './size.ts';

const KiB = 1024;
const GiB = 1024 ** 3;

/** Each flag's default and bounds, in bytes. Compressed at most 16 GiB: what a controller copies from a peer (cluster/blob-pull.ts). */
export const RELEASE_SIZE_FLAGS = {
  '--max-release-size': { default: 100 * 1024 * KiB, min: KiB, max: 16 * GiB },
  '--max-release-unpacked': { default: GiB, min: KiB, max: 1024 * GiB },
} as const;

type Flag = keyof typeof RELEASE_SIZE_FLAGS;

export interface ReleaseSizeFlags {
  maxReleaseSize: string;
  maxReleaseUnpacked: string;
}

/** Adds both flags to cmd. */
export function addReleaseSizeFlags(cmd: Command): Command {
  const size = RELEASE_SIZE_FLAGS['--max-release-size'];
  const unpacked = RELEASE_SIZE_FLAGS['--max-release-unpacked'];
  return cmd
    .option('--max-release-size <size>', `largest release tarball accepted (compressed), in bytes or with a unit: 300M, 2G (${sizeText(size.min)}–${sizeText(size.max)}); a larger upload gets 413. Releases already stored keep running when it is lowered`, sizeText(size.default))
    .option('--max-release-unpacked <size>', `most a release may unpack to, in bytes or with a unit (${sizeText(unpacked.min)}–${sizeText(unpacked.max)}, at least --max-release-size); a release past it gets 413 at upload`, sizeText(unpacked.default));
}

/** The two limits in bytes (ControllerLimits.maxReleaseBytes, maxUnpackedBytes); a CliError naming the flag for a bad value. */
export function releaseSizes(o: ReleaseSizeFlags): { maxReleaseBytes: number; maxUnpackedBytes: number } {
  const maxReleaseBytes = flagBytes(o.maxReleaseSize, '--max-release-size');
  const maxUnpackedBytes = flagBytes(o.maxReleaseUnpacked, '--max-release-unpacked');
  if (maxUnpackedBytes < maxReleaseBytes) {
    throw new CliError(`--max-release-unpacked (${o.maxReleaseUnpacked}) is less than --max-release-size (${o.maxReleaseSize}): a release that large could not unpack; raise --max-release-unpacked too`);
  }
  return { maxReleaseBytes, maxUnpackedBytes };
}

function flagBytes(v: string, flag: Flag): number {
  const { min, max } = RELEASE_SIZE_FLAGS[flag];
  const n = sizeBytes(v);
  if (n === undefined || n < min || n > max) {
    throw new CliError(`${flag} must be a size from ${sizeText(min)} to ${sizeText(max)}: bytes, or a number with a unit (K, M, G, T: 300M, 1.5G), got "${v}"`);
  }
  return n;
}
