// Whether a server runs what its site says now: the site's release, started with its
// command, health path, start deadline and environment (src/model/start-settings.ts) and
// with its database's current login. The reconciler keeps such servers and replaces the
// others (plan.ts: build, swap, then stop); a site's status counts them to say when a
// rollout is done (site-rollout.ts), and the status views call a server out of its route
// draining by them (farm-view.ts markDraining). One rule for all, so a rollout the CLI
// waits for is the one the reconciler carries out.
import { sameStartSettings, type Assignment, type Site } from '../model/index.ts';
import { isPooled } from './plan-pool.ts';

/** `login`: the user of the site's database login its servers get now (none: no database, or none they can have). */
export function runsAsSiteSays(a: Assignment, site: Site, login: string | undefined): boolean {
  return site.release !== undefined && a.release === site.release && a.database?.user === login && sameStartSettings(a, site);
}

/**
 * runsAsSiteSays for any server of the site, its own or a pool VS holding it: a pool holds
 * only the site's release, so it is current once it shows it (`shows`: the release it shows
 * of the site, when it is a pool); a pooled site's own servers and an unpooled site's pools
 * are not.
 */
export function servesAsSiteSays(a: Assignment, shows: string | undefined, site: Site, login: string | undefined): boolean {
  if (a.pool) return isPooled(site) && site.release !== undefined && shows === site.release;
  return !isPooled(site) && runsAsSiteSays(a, site, login);
}

/** Started alike: the same release, command, health path, start deadline, environment and database login. */
export function startedAlike(a: Assignment, b: Assignment): boolean {
  return a.release === b.release && a.database?.user === b.database?.user && sameStartSettings(a, b);
}
