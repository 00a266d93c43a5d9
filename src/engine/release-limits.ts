// The size limits a release is unpacked with: those it was accepted under, read from its
// record (Release.limits under keys.release(site, id)) when it is unpacked, so every engine
// of a farm unpacks what the farm accepted, whatever this machine's flags, and a release
// accepted before the operator lowered the limits still unpacks. No assignment carries
// them (a pool's table holds thousands of sites). The record must name the same content
// (sha256); a release without limits (recorded before they were), one whose record is gone
// (its site deleted meanwhile) or unreadable is unpacked with the library's defaults.

import { keys, type Release, type ReleaseLimits } from '../model/index.ts';
import type { Store } from '../store/types.ts';

/** A release by its site, id and content: what an assignment (or a pool's entry) names. */
export interface ReleaseRef {
  site: string;
  release: string;
  sha256: string;
}

export type ReleaseLimitsOf = (ref: ReleaseRef) => Promise<ReleaseLimits | undefined>;

/** Reads a release's recorded limits from the store; undefined: unpack with the defaults. A store that cannot be reached rejects (the unpack is retried). */
export function releaseLimitsReader(store: Store): ReleaseLimitsOf {
  return async (ref) => {
    const kv = await store.get(keys.release(ref.site, ref.release));
    if (kv === undefined) return undefined;
    let record: Partial<Release>;
    try {
      record = JSON.parse(kv.value) as Partial<Release>;
    } catch {
      return undefined;
    }
    return record.sha256 === ref.sha256 ? checked(record.limits) : undefined;
  };
}

/** Both limits whole numbers of bytes above zero, else none. */
function checked(limits: ReleaseLimits | undefined): ReleaseLimits | undefined {
  if (limits === undefined || limits === null || typeof limits !== 'object') return undefined;
  const bytes = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) > 0;
  if (!bytes(limits.maxCompressedBytes) || !bytes(limits.maxUnpackedBytes)) return undefined;
  return { maxCompressedBytes: limits.maxCompressedBytes, maxUnpackedBytes: limits.maxUnpackedBytes };
}
