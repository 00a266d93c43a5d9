// GET /v1/backup (admin): the farm backup archive, streamed (farm-backup-*.ts). The snapshot
// is taken before the answer starts, so a failure to take it is an ordinary error answer;
// a failure while streaming cuts the response short, which the client sees as an error.
// Recorded in the audit trail as farm.backup (the archive holds site private keys, the
// database passwords' key and every database's data).

import { PassThrough } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { principalOf, requireAdmin } from '../access.ts';
import { principalName } from '../audit.ts';
import { takeFarmSnapshot } from '../farm-backup-snapshot.ts';
import { writeFarmBackup } from '../farm-backup-writer.ts';
import type { RouteDeps } from './deps.ts';

export const backupRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, deps) => {
  app.get('/v1/backup', async (request, reply) => {
    const principal = principalOf(request);
    requireAdmin(principal);
    const snapshot = await takeFarmSnapshot({
      store: deps.store, blobs: deps.blobs,
      ...(deps.backup?.files ? { files: deps.backup.files } : {}),
      ...(deps.backup?.fetchBlob ? { fetchBlob: deps.backup.fetchBlob } : {}),
      ...(deps.databases ? { databases: deps.databases.service } : {}),
    });
    const body = new PassThrough();
    const revision = snapshot.records.revision;
    writeFarmBackup(snapshot, body).then(
      (m) => request.log.info({ event: 'farm.backup', revision, parts: m.parts.length }, 'farm backup sent'),
      (err: unknown) => {
        request.log.error({ err, event: 'farm.backup-failed' }, 'farm backup cut short');
        body.destroy(err as Error);
      },
    );
    await deps.events.record({ type: 'audit', action: 'farm.backup', principal: principalName(principal), target: 'farm', result: 'ok', status: 200, message: `store revision ${revision}, ${snapshot.blobs.length} blobs` })
      .catch((err: unknown) => request.log.error({ err, event: 'audit.write-failed' }, 'could not record the audit event'));
    const name = `corral-farm-${new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}.tar.gz`;
    return reply.type('application/gzip').header('content-disposition', `attachment; filename="${name}"`).header('x-corral-store-revision', String(revision)).send(body);
  });
};
