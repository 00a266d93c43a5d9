// A release upload, step by step: stream the body into the blob store (never buffered in
// memory, capped at maxReleaseBytes), inspect the stored tarball, then record the release
// (and activate it) in one transaction; content a release of the site already has is that
// release (activated if asked), not a new number. A refused or orphaned blob is deleted unless some
// release already refers to the same content.
// The size limits are the operator's (`--max-release-size`, `--max-release-unpacked`): a refusal
// names the flag, and a release records the limits it was accepted under (Release.limits), which
// every engine unpacks it with.
// A static site's `_redirects` at the release's root is checked here too (src/lib/redirects.ts):
// a bad line refuses the release, naming the line, so a deploy never half-works.

import { PassThrough, type Readable } from 'node:stream';
import { MAX_REDIRECTS_BYTES, parseRedirects, REDIRECTS_FILE, RedirectsError } from '../lib/redirects.ts';
import { inspectTarball, TarballError, type RootFile } from '../lib/tarball.ts';
import type { FastifyBaseLogger } from 'fastify';
import type { Release, Site } from '../model/index.ts';
import type { Store } from '../store/types.ts';
import { nextNumber, releaseCounter } from './counter.ts';
import { BlobReplicationError, PayloadTooLargeError, ReleaseTooLargeError } from './errors.ts';
import type { BlobStore, ControllerOptions, ResolvedLimits } from './options.ts';
import type { Stored } from './records.ts';
import { activated, addRelease, blobInUse, listReleases, pruneReleases } from './release-writes.ts';
import { updateSite } from './site-writes.ts';

export interface UploadDeps {
  store: Store;
  blobs: BlobStore;
  limits: ResolvedLimits;
  log: FastifyBaseLogger;
  /** Cluster mode: store the blob on another controller too; the upload is acknowledged only after. */
  replicateBlob?: ControllerOptions['replicateBlob'];
}

export interface UploadOptions {
  activate: boolean;
  /** The request's Content-Length, if sent: refused early when over the limit. */
  contentLength?: number;
}

/**
 * `unchanged`: a release of the site already had this content (same sha256); no new number was
 * made. `activated`: with it, that release was not the site's and now is (a rollout, as a
 * rollback's); without it, the site was left as it was.
 */
export async function uploadRelease(deps: UploadDeps, site: Stored<Site>, body: Readable, opts: UploadOptions): Promise<{ release: Release; site: Site; unchanged?: true; activated?: true }> {
  const maxBytes = deps.limits.maxReleaseBytes;
  if (opts.contentLength !== undefined && opts.contentLength > maxBytes) throw new ReleaseTooLargeError(maxBytes);
  // held until the release record names it: the blob collector must not take it meanwhile
  const blob = await deps.blobs.putStream(shield(body), { maxBytes, hold: true }).catch(releaseTooLarge(maxBytes));
  try {
    // content-addressed: the same tarball again is the release that has it, activated if asked
    const same = (await listReleases(deps.store, site.value.name)).find((r) => r.sha256 === blob.sha256);
    if (same) {
      if (!opts.activate || site.value.release === same.id) return { release: same, site: site.value, unchanged: true };
      return { release: same, site: await updateSite(deps.store, site, (s) => activated(s, same.id)), unchanged: true, activated: true };
    }
    const inspected = await inspectTarball(blob.path, deps.limits.tarball, { rootFiles: { names: [REDIRECTS_FILE], maxBytes: MAX_REDIRECTS_BYTES } }).catch(unpackedTooLarge);
    if (site.value.kind === 'static') checkRedirects(inspected.rootFiles?.get(REDIRECTS_FILE));
    if (deps.replicateBlob) {
      await deps.replicateBlob(blob).catch((err: unknown) => {
        throw new BlobReplicationError((err as Error).message);
      });
    }
    // by the site's id: a site re-created under the name starts at v1 again (a site without id: by name, kept)
    const number = await nextNumber(deps.store, releaseCounter(site.value));
    const release: Release = {
      id: `v${number}`,
      site: site.value.name,
      number,
      sha256: blob.sha256,
      size: blob.size,
      files: inspected.files,
      unpackedBytes: inspected.unpackedBytes,
      createdAt: new Date().toISOString(),
      limits: deps.limits.release,
    };
    const updated = await addRelease(deps.store, site, release, opts.activate);
    const pruned = await pruneReleases(deps.store, site.value.name, deps.limits.maxReleasesPerSite).catch((err: unknown) => {
      deps.log.warn({ err, site: site.value.name }, 'could not prune old releases'); // the next upload tries again
      return [];
    });
    if (pruned.length > 0) deps.log.info({ event: 'releases.pruned', site: site.value.name, releases: pruned }, 'old releases deleted');
    return { release, site: updated };
  } catch (err) {
    await discardBlob(deps, blob.sha256).catch((cleanupErr: unknown) => {
      deps.log.warn({ err: cleanupErr, sha256: blob.sha256 }, 'could not delete a refused release blob');
    });
    throw err;
  } finally {
    blob.unhold();
  }
}

/** A catch handler: the blob store's 413 (past maxBytes while streaming) said as the farm's release limit. */
export function releaseTooLarge(maxBytes: number): (err: unknown) => never {
  return (err) => {
    throw err instanceof PayloadTooLargeError ? new ReleaseTooLargeError(maxBytes) : err;
  };
}

/**
 * A static release's `_redirects` (absent, or a folder of that name, is fine): a regular file
 * whose every line is a rule — never a symlink, which the web runtime would not read. Throws RedirectsError.
 */
function checkRedirects(file: RootFile | undefined): void {
  if (file === undefined || file.kind === 'directory') return;
  if (file.kind !== 'file') throw new RedirectsError(`must be a regular file at the release's root, not a ${file.kind}`);
  if (file.content === undefined) throw new RedirectsError(`the file is larger than ${MAX_REDIRECTS_BYTES / 1024} KiB`);
  parseRedirects(file.content.toString('utf8'));
}

/** inspectTarball's refusal of a release that unpacks past the limit, naming the flag that sets it. */
function unpackedTooLarge(err: unknown): never {
  if (!(err instanceof TarballError) || err.code !== 'tarball_too_large') throw err;
  throw new TarballError('tarball_too_large', `${err.message}; the operator sets the limit with --max-release-unpacked (corral up, corral controller)`, { entry: err.entry, cause: err });
}

async function discardBlob(deps: UploadDeps, sha256: string): Promise<void> {
  if (await blobInUse(deps.store, sha256)) return;
  await deps.blobs.remove(sha256);
}

/**
 * A stream fed by the request body that the blob store may destroy (it does on 413) without
 * destroying the request's socket, so the client still gets the error response.
 */
function shield(body: Readable): PassThrough {
  const out = new PassThrough();
  body.pipe(out);
  body.once('error', (err) => out.destroy(err));
  body.once('close', () => {
    if (!body.readableEnded) out.destroy(new Error('the upload was cut off before its end'));
  });
  out.once('close', () => body.unpipe(out));
  return out;
}
