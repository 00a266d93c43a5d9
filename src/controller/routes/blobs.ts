// GET /v1/blobs/:sha256: a release tarball, for engines (and admins).

import { stat } from 'node:fs/promises';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { principalOf, requireAdminOrEngine } from '../access.ts';
import { NotFoundError } from '../errors.ts';
import { BlobParams } from '../schemas.ts';
import type { RouteDeps } from './deps.ts';

export const blobRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { blobs }) => {
  app.get('/v1/blobs/:sha256', { schema: { params: BlobParams } }, async (request, reply) => {
    requireAdminOrEngine(principalOf(request));
    const { sha256 } = request.params;
    if (!(await blobs.has(sha256))) throw new NotFoundError(`blob ${sha256}`);
    const { size } = await stat(blobs.path(sha256));
    return reply.type('application/gzip').header('content-length', size).send(await blobs.openRead(sha256));
  });
};
