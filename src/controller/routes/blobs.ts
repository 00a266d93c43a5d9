// GET /v1/blobs/:sha256: a release tarball, for engines (and admins).
// PUT /v1/blobs/:sha256 (admin): another controller copying an upload here (cluster mode);
// the content must hash to the name, else 400 and nothing kept.

import { rm, stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { principalOf, requireAdmin, requireAdminOrEngine } from '../access.ts';
import { NotFoundError, UnsupportedMediaTypeError, ValidationError } from '../errors.ts';
import { releaseTooLarge } from '../release-upload.ts';
import { blobInUse } from '../release-writes.ts';
import { BlobParams } from '../schemas.ts';
import type { RouteDeps } from './deps.ts';

export const blobRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { blobs, store, limits }) => {
  app.addContentTypeParser(['application/gzip', 'application/octet-stream'], (_request, payload, done) => done(null, payload));

  app.get('/v1/blobs/:sha256', { schema: { params: BlobParams } }, async (request, reply) => {
    requireAdminOrEngine(principalOf(request));
    const { sha256 } = request.params;
    if (!(await blobs.has(sha256))) throw new NotFoundError(`blob ${sha256}`);
    const { size } = await stat(blobs.path(sha256));
    return reply.type('application/gzip').header('content-length', size).send(await blobs.openRead(sha256));
  });

  app.put('/v1/blobs/:sha256', { schema: { params: BlobParams } }, async (request, reply) => {
    requireAdmin(principalOf(request));
    if (!(request.body instanceof Readable)) throw new UnsupportedMediaTypeError('send the blob with Content-Type application/gzip');
    const blob = await blobs.putStream(request.body, { maxBytes: limits.maxReleaseBytes }).catch(releaseTooLarge(limits.maxReleaseBytes));
    if (blob.sha256 !== request.params.sha256) {
      if (!(await blobInUse(store, blob.sha256))) await rm(blob.path, { force: true });
      throw new ValidationError(`the content hashes to ${blob.sha256}, not ${request.params.sha256}`);
    }
    return reply.code(201).send({ sha256: blob.sha256, size: blob.size });
  });
};
