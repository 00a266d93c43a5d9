// buildController's options and the limits it applies, with their defaults.

import type { Logger } from '../lib/log.ts';
import type { TarLimits } from '../lib/tarball.ts';
import type { EngineLogs } from '../engine/logs.ts';
import type { Store } from '../store/types.ts';
import type { BlobStore } from './blob-store.ts';

export type { BlobStore };
export type TarballLimits = Partial<TarLimits>;

export interface ControllerLimits {
  /** Largest release tarball accepted (compressed), default 100 MiB; larger → 413. */
  maxReleaseBytes?: number;
  /** Largest JSON body, default 1 MiB. */
  maxJsonBytes?: number;
  /** Passed to inspectTarball (unpacked size, entries, expansion ratio); its defaults otherwise. */
  tarball?: TarballLimits;
}

export interface ControllerOptions {
  store: Store;
  blobs: BlobStore;
  /** Reads the virtual servers' logs; without it the logs route answers 501. */
  engineLogs?: EngineLogs;
  log?: Logger;
  limits?: ControllerLimits;
}

export interface ResolvedLimits {
  maxReleaseBytes: number;
  maxJsonBytes: number;
  tarball: TarballLimits;
}

export function resolveLimits(limits: ControllerLimits = {}): ResolvedLimits {
  const maxReleaseBytes = limits.maxReleaseBytes ?? 100 * 1024 * 1024;
  return Object.freeze({
    maxReleaseBytes,
    maxJsonBytes: limits.maxJsonBytes ?? 1024 * 1024,
    // The tarball's compressed-size limit follows the upload limit unless set on its own.
    tarball: { maxCompressedBytes: maxReleaseBytes, ...limits.tarball },
  });
}
