// What a site's servers are started with besides its release: the command, health path,
// start deadline, environment and (static) spa fallback. A site and an assignment name them alike. A change of
// any of them rolls out new servers (src/controller/plan.ts: build, swap, then stop), as a
// new release, a database binding or login, or pooling switched on or off does.
// Loads nothing: `corral site set` compares a site before and after a change with it.
import type { Site } from './records.ts';

/** The settings a server is started with, as a site says them and an assignment records them. */
export type StartSettings = Pick<Site, 'command' | 'healthPath' | 'startTimeoutMs' | 'env' | 'spa'>;

/** Started alike: the same command, health path, start deadline, environment (variables in any order) and spa. */
export function sameStartSettings(a: StartSettings, b: StartSettings): boolean {
  return a.command === b.command && a.healthPath === b.healthPath && a.startTimeoutMs === b.startTimeoutMs && sameEnv(a.env, b.env) && (a.spa === true) === (b.spa === true);
}

/**
 * What a change of a site from `before` to `after` changes of how its servers start, by name
 * (`command`, `health path`, `start timeout`, `env`, `database`, `pooling`, `spa`): empty when it
 * rolls out no new server (domains, replicas, router settings, guest resources …). A pooled
 * site's entries in its pool carry only its release, domains and spa, changed in place.
 */
export function startChanges(before: Site, after: Site): string[] {
  const pooled = (s: Site) => s.pooled === true && s.kind === 'static';
  if (pooled(before) !== pooled(after)) return ['pooling'];
  if (pooled(after)) return [];
  const changed: string[] = [];
  if (before.command !== after.command) changed.push('command');
  if (before.healthPath !== after.healthPath) changed.push('health path');
  if (before.startTimeoutMs !== after.startTimeoutMs) changed.push('start timeout');
  if (!sameEnv(before.env, after.env)) changed.push('env');
  if (before.database !== after.database) changed.push('database');
  if ((before.spa === true) !== (after.spa === true)) changed.push('spa');
  return changed;
}

/**
 * Equal as JSON would write them: the same names with the same values, in any order (an
 * absent map only equals another absent one). Allocates nothing: the reconciler compares
 * every server of every site it plans.
 */
function sameEnv(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  let defined = 0;
  for (const k in a) {
    if (a[k] === undefined) continue;
    defined++;
    if (!Object.hasOwn(b, k) || a[k] !== b[k]) return false;
  }
  for (const k in b) if (b[k] !== undefined) defined--;
  return defined === 0;
}
