// The path a site's servers answer health checks on: the engine checks every server on it,
// and the router probes it when a request outlasts the router's default per-try timeout
// with no other sign of life from its server (router/upstream/liveness.ts).

import type { SiteKind } from './records.ts';

/** Where the web runtime (every static site's server, pooled or not) answers its checks, whatever the Host. */
export const STATIC_HEALTH_PATH = '/.corral/health';

/** Static → STATIC_HEALTH_PATH; app → its healthPath, with a leading '/'. */
export function checkedPath(site: { kind: SiteKind; healthPath: string }): string {
  if (site.kind === 'static') return STATIC_HEALTH_PATH;
  return site.healthPath.startsWith('/') ? site.healthPath : `/${site.healthPath}`;
}
