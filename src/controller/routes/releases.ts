// Releases: upload (raw gzip body, streamed), list, roll back, activate one.

import { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { principalOf } from '../access.ts';
import { UnsupportedMediaTypeError } from '../errors.ts';
import { uploadRelease } from '../release-upload.ts';
import { UploadSlots } from '../upload-guard.ts';
import { activated, listReleases, loadRelease, rolledBack } from '../release-writes.ts';
import { ReleaseParams, SiteParams, UploadQuery } from '../schemas.ts';
import { updateSite } from '../site-writes.ts';
import type { RouteDeps } from './deps.ts';

/** Content types whose body is handed to the upload route as the raw request stream. */
const TARBALL_TYPES = ['application/gzip', 'application/x-gzip', 'application/octet-stream'];

export const releaseRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, deps) => {
  const { store, access } = deps;
  // Encapsulated in this plugin: only these routes get raw streams.
  app.addContentTypeParser(TARBALL_TYPES, (_request, payload, done) => done(null, payload));

  const uploads = new UploadSlots(); // a few at once per customer (upload-guard.ts)

  app.post('/v1/sites/:name/releases', { schema: { params: SiteParams, querystring: UploadQuery } }, async (request, reply) => {
    const p = principalOf(request);
    const site = await access.loadSiteFor(p, request.params.name);
    if (!(request.body instanceof Readable)) {
      throw new UnsupportedMediaTypeError(`send the release as a .tar.gz body with Content-Type ${TARBALL_TYPES[0]}`);
    }
    const length = Number(request.headers['content-length']);
    const done = uploads.take(p);
    try {
      const result = await uploadRelease({ ...deps, log: request.log }, site, request.body, {
        activate: request.query.activate ?? true,
        ...(Number.isFinite(length) ? { contentLength: length } : {}),
      });
      return reply.code(result.unchanged ? 200 : 201).send(result);
    } finally {
      done();
    }
  });

  app.get('/v1/sites/:name/releases', { schema: { params: SiteParams } }, async (request) => {
    const site = await access.loadSiteFor(principalOf(request), request.params.name);
    return { releases: await listReleases(store, site.value.name) };
  });

  app.post('/v1/sites/:name/rollback', { schema: { params: SiteParams } }, async (request) => {
    const site = await access.loadSiteFor(principalOf(request), request.params.name);
    return { site: await updateSite(store, site, (s) => rolledBack(s)) };
  });

  app.post('/v1/sites/:name/releases/:id/activate', { schema: { params: ReleaseParams } }, async (request) => {
    const site = await access.loadSiteFor(principalOf(request), request.params.name);
    const release = await loadRelease(store, site.value.name, request.params.id);
    if (site.value.release === release.id) return { site: site.value };
    return { site: await updateSite(store, site, (s) => activated(s, release.id)) };
  });
};
