// Release tarballs: the security boundary against hostile archives. See src/lib/tarball/ for the parts:
//   walk.ts     gunzip → meter → tar Parser → per-entry checks (no writes)
//   tree.ts     whole-archive checks: conflicts, entries beneath links, where links lead
//   inspect.ts  pass 1 (walk + tree), extract.ts pass 2 (walk again, write, rename), pack.ts
export { TarballError, TARBALL_ERRORS, type TarballErrorCode } from './tarball/errors.ts';
export { DEFAULT_TAR_LIMITS, type TarLimits } from './tarball/limits.ts';
export { inspectTarball, type InspectedTarball, type InspectOptions, type RootFile } from './tarball/inspect.ts';
export { extractTarball, type ExtractOptions, type ExtractResult } from './tarball/extract.ts';
export { packDirectory } from './tarball/pack.ts';
export type { TarballSummary } from './tarball/walk.ts';
