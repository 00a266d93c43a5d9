// Limits on a release tarball, and the meter that enforces the size limits while it inflates.
import { TarballError } from './errors.ts';
import { bytesText } from '../byte-text.ts';

const MiB = 1024 * 1024;

export interface TarLimits {
  /** Largest .tar.gz accepted, in bytes. */
  maxCompressedBytes: number;
  /** Largest inflated tar stream (file contents plus headers and padding), in bytes. */
  maxUnpackedBytes: number;
  /** Most entries of any kind: files, directories and symlinks. */
  maxEntries: number;
  /** Largest inflated/compressed size ratio; checked once more than `ratioFreeBytes` have inflated. */
  maxExpansionRatio: number;
  /** Inflated bytes allowed before the expansion ratio is enforced, so small text releases pass. */
  ratioFreeBytes: number;
  /** Longest entry path or symlink target, in UTF-8 bytes. Each path segment is also held to 255 bytes. */
  maxPathBytes: number;
}

export const DEFAULT_TAR_LIMITS: Readonly<TarLimits> = Object.freeze({
  maxCompressedBytes: 100 * MiB,
  maxUnpackedBytes: 1024 * MiB,
  maxEntries: 20_000,
  maxExpansionRatio: 100,
  ratioFreeBytes: 16 * MiB,
  maxPathBytes: 1024,
});

/** Defaults overlaid with `partial`; unknown keys and non-positive values are a programming error. */
export function resolveLimits(partial: Partial<TarLimits> = {}): Readonly<TarLimits> {
  const limits: TarLimits = { ...DEFAULT_TAR_LIMITS };
  for (const [key, value] of Object.entries(partial)) {
    if (!(key in DEFAULT_TAR_LIMITS)) throw new TypeError(`unknown tarball limit "${key}"`);
    if (value === undefined) continue;
    if (typeof value !== 'number' || !(value > 0)) throw new TypeError(`tarball limit ${key} must be a positive number, got ${String(value)}`);
    limits[key as keyof TarLimits] = value;
  }
  return Object.freeze(limits);
}

/** Counts inflated bytes as they stream and throws the moment a size limit is crossed. */
export class InflateMeter {
  bytes = 0;

  constructor(
    private readonly limits: Readonly<TarLimits>,
    private readonly compressedBytes: number,
  ) {}

  add(n: number): void {
    this.bytes += n;
    const { maxUnpackedBytes, maxExpansionRatio, ratioFreeBytes } = this.limits;
    if (this.bytes > maxUnpackedBytes) {
      throw new TarballError('tarball_too_large', `release unpacks to more than ${bytesText(maxUnpackedBytes)} (the limit); stopped after ${bytesText(this.bytes)}`);
    }
    // The whole file's compressed size is the denominator, so the ratio only grows while
    // inflating and its final value is the archive's true ratio: a gzip bomb stops early,
    // and a release with one very compressible file among others is judged as a whole.
    if (this.bytes > ratioFreeBytes && this.bytes / this.compressedBytes > maxExpansionRatio) {
      throw new TarballError(
        'tarball_expansion_ratio',
        `release unpacks to more than ${maxExpansionRatio}× its compressed size (${bytesText(this.bytes)} from ${bytesText(this.compressedBytes)}); stopped there`,
      );
    }
  }
}

export function checkCompressedSize(bytes: number, limits: Readonly<TarLimits>): void {
  if (bytes > limits.maxCompressedBytes) {
    throw new TarballError('tarball_too_large', `release tarball is ${bytesText(bytes)}, over the limit of ${bytesText(limits.maxCompressedBytes)}`);
  }
}
