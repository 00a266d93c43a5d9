// Whether a server runs what its site says now: the site's release, started with its
// command, health path, start deadline and environment (src/model/start-settings.ts) and
// with its database's current login. The reconciler keeps such servers and replaces the
// others (plan.ts: build, swap, then stop); a site's status counts them to say when a
// rollout is done (site-rollout.ts). One rule for both, so a rollout the CLI waits for is
// the one the reconciler carries out.
import { sameStartSettings, type Assignment, type Site } from '../model/index.ts';

/** `login`: the user of the site's database login its servers get now (none: no database, or none they can have). */
export function runsAsSiteSays(a: Assignment, site: Site, login: string | undefined): boolean {
  return site.release !== undefined && a.release === site.release && a.database?.user === login && sameStartSettings(a, site);
}
