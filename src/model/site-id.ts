// A site's id: given once at creation, never reused, never changed. Everything a site
// leaves on disk (its data folder and image, its logs' owner, on every engine) is keyed
// by it, so a site created later under the same name inherits nothing. Sites from a
// store written before ids existed have none: their storage key stays their name.

import { randomBytes } from 'node:crypto';

/** '0' (the format) then 24 random hex digits: it starts with a digit, a site name with a letter, so the two never meet. */
export function newSiteId(): string {
  return `0${randomBytes(12).toString('hex')}`;
}

/** The key of a site's storage: its id, or its name for a site without one. */
export function siteStorageKey(site: { id?: string; name: string }): string {
  return site.id ?? site.name;
}

/** The storage key an assignment's VS uses: the site id it carries, or the site name (assignments written before ids). */
export function assignmentStorageKey(a: { siteId?: string; site: string }): string {
  return a.siteId ?? a.site;
}
