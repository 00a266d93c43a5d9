// Where the engine keeps things under its directory, and the name checks that make
// store-provided names safe to use in those paths.

import path from 'node:path';
import { InvalidNameError } from './errors.ts';

/** The engine directory's layout (`<corral dir>/engine` in `corral up`). */
export function enginePaths(dir: string) {
  return {
    releases: path.join(dir, 'releases'),
    data: path.join(dir, 'data'),
    logs: path.join(dir, 'logs'),
    run: path.join(dir, 'run'),
  };
}

export function releasePath(dir: string, sha256: string): string {
  return path.join(enginePaths(dir).releases, assertSha256(sha256));
}

/** The site's data folder, by its storage key (site id, or name for a site without one). */
export function dataPath(dir: string, siteKey: string): string {
  return path.join(enginePaths(dir).data, assertName('site', siteKey));
}

/** The VS's current log file; the rotated one is `<this>.1`. */
export function logPath(dir: string, vs: string): string {
  return path.join(enginePaths(dir).logs, `${assertName('virtual server', vs)}.log`);
}

const NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const SHA256 = /^[0-9a-f]{64}$/;

/** A hostname label: lowercase letters, digits, inner hyphens, at most 63 characters. */
export function assertName(what: string, value: string): string {
  if (!NAME.test(value)) throw new InvalidNameError(what, value);
  return value;
}

export function assertSha256(value: string): string {
  if (!SHA256.test(value)) throw new InvalidNameError('sha256', value);
  return value;
}
