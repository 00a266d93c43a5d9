// Release records and which release a site serves. A new release is written in the same
// transaction as its activation, so a site never points at a release that does not exist.

import { keys, type Release, type Site } from '../model/index.ts';
import type { Store, TxnOp } from '../store/types.ts';
import { NoPreviousReleaseError, NotFoundError } from './errors.ts';
import { listRecords, readRecord, type Stored } from './records.ts';
import { updateSite } from './site-writes.ts';

/** The site serving `id`, the release it leaves becoming previousRelease. */
export function activated(site: Site, id: string, now = new Date()): Site {
  if (site.release === id) return site;
  const next: Site = { ...site, release: id, updatedAt: now.toISOString() };
  if (site.release === undefined) delete next.previousRelease;
  else next.previousRelease = site.release;
  return next;
}

/** The site serving its previous release again; the one it leaves becomes previousRelease. */
export function rolledBack(site: Site, now = new Date()): Site {
  if (site.previousRelease === undefined) throw new NoPreviousReleaseError(site.name);
  return activated(site, site.previousRelease, now);
}

/** Store a new release of the site, activating it if asked. Returns the site as it now is. */
export async function addRelease(store: Store, site: Stored<Site>, release: Release, activate: boolean): Promise<Site> {
  const put: TxnOp = { type: 'put', key: keys.release(release.site, release.id), value: JSON.stringify(release) };
  if (activate) return updateSite(store, site, (s) => activated(s, release.id), [put]);
  const res = await store.txn({
    compare: [{ key: site.kv.key, target: 'create', op: '=', value: site.kv.createRevision }],
    success: [put],
  });
  if (!res.succeeded) throw new NotFoundError(`site ${site.value.name}`);
  return site.value;
}

export async function loadRelease(store: Store, site: string, id: string): Promise<Release> {
  const release = await readRecord<Release>(store, keys.release(site, id));
  if (!release) throw new NotFoundError(`release ${id} of site ${site}`);
  return release.value;
}

export async function listReleases(store: Store, site: string): Promise<Release[]> {
  const releases = await listRecords<Release>(store, keys.siteReleases(site));
  return releases.sort((a, b) => a.number - b.number);
}

/** Whether any release of any site refers to this blob. */
export async function blobInUse(store: Store, sha256: string): Promise<boolean> {
  const releases = await listRecords<Release>(store, keys.releases);
  return releases.some((r) => r.sha256 === sha256);
}

/**
 * Keep the site's newest `keep` releases, and always the one it serves and its previous one
 * (rollback's): the others' records are deleted (their tarballs then go with the blob
 * collector). In one transaction that holds only while the site is unchanged, so a rollback
 * racing it never points at a deleted release; lost to a race, the next upload prunes.
 * Returns the ids deleted.
 */
export async function pruneReleases(store: Store, siteName: string, keep: number): Promise<string[]> {
  const site = await readRecord<Site>(store, keys.site(siteName));
  if (!site) return [];
  const releases = await listReleases(store, siteName); // oldest first
  const kept = new Set([site.value.release, site.value.previousRelease, ...releases.slice(-keep).map((r) => r.id)]);
  const gone = releases.filter((r) => !kept.has(r.id)).map((r) => r.id);
  if (gone.length === 0) return [];
  const res = await store.txn({
    compare: [{ key: site.kv.key, target: 'mod', op: '=', value: site.kv.modRevision }],
    success: gone.map((id): TxnOp => ({ type: 'delete', key: keys.release(siteName, id) })),
  });
  return res.succeeded ? gone : [];
}
