// A site's TLS certificate: upload (checked: PEM, key matches, SAN covers the site's
// domains), read (metadata only — the private key is never returned) and delete.
// The site's owner or an admin; anyone else gets the 404 of a missing site.
// The state of every certificate (ACME or uploaded) a principal may see: GET
// /v1/certificates, and one site's: GET /v1/sites/:name/certificate-status.

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { keys, keyName, type CertificateRecord, type CertStatusRecord, type Site } from '../../model/index.ts';
import { inScope, principalOf, scopeOf } from '../access.ts';
import { certificateState } from '../certificate-state.ts';
import { certificateInfo, checkedCertificate } from '../certificates.ts';
import { ConcurrentUpdateError, NotFoundError } from '../errors.ts';
import { listRecords, readRecord } from '../records.ts';
import { CertificateBody, SiteParams } from '../schemas.ts';
import type { RouteDeps } from './deps.ts';

export const certificateRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { store, access }) => {
  app.post('/v1/sites/:name/certificates', { schema: { params: SiteParams, body: CertificateBody } }, async (request, reply) => {
    const site = await access.loadSiteFor(principalOf(request), request.params.name);
    const rec = checkedCertificate(site.value, request.body.cert, request.body.key);
    // only while the site is as read: a certificate checked against old domains, or for a deleted site, is never stored
    const res = await store.txn({
      compare: [{ key: site.kv.key, target: 'mod', op: '=', value: site.kv.modRevision }],
      success: [{ type: 'put', key: keys.certificate(site.value.name), value: JSON.stringify(rec) }],
    });
    if (!res.succeeded) throw new ConcurrentUpdateError(`site ${site.value.name}`);
    return reply.code(201).send({ certificate: certificateInfo(rec) });
  });

  app.get('/v1/sites/:name/certificates', { schema: { params: SiteParams } }, async (request) => {
    const site = await access.loadSiteFor(principalOf(request), request.params.name);
    const rec = await readRecord<CertificateRecord>(store, keys.certificate(site.value.name));
    return { certificates: rec ? [certificateInfo(rec.value)] : [] };
  });

  app.delete('/v1/sites/:name/certificates', { schema: { params: SiteParams } }, async (request, reply) => {
    const site = await access.loadSiteFor(principalOf(request), request.params.name);
    const res = await store.delete(keys.certificate(site.value.name));
    if (res.deleted === 0) throw new NotFoundError(`certificate of site ${site.value.name}`);
    return reply.code(204).send();
  });

  app.get('/v1/certificates', async (request) => {
    const scope = scopeOf(principalOf(request));
    const [sites, certs, statuses] = await Promise.all([
      listRecords<Site>(store, keys.sites),
      store.range(keys.certificates).then((r) => new Map(r.kvs.map((kv) => [keyName(kv.key), JSON.parse(kv.value) as CertificateRecord]))),
      store.range(keys.certStatuses).then((r) => new Map(r.kvs.map((kv) => [keyName(kv.key), JSON.parse(kv.value) as CertStatusRecord]))),
    ]);
    const mine = sites.filter((s) => inScope(scope, s.customer));
    return { certificates: mine.map((s) => certificateState(s, certs.get(s.name), statuses.get(s.name))) };
  });

  app.get('/v1/sites/:name/certificate-status', { schema: { params: SiteParams } }, async (request) => {
    const site = await access.loadSiteFor(principalOf(request), request.params.name);
    const [cert, status] = await Promise.all([
      readRecord<CertificateRecord>(store, keys.certificate(site.value.name)),
      readRecord<CertStatusRecord>(store, keys.certStatus(site.value.name)),
    ]);
    return { certificate: certificateState(site.value, cert?.value, status?.value) };
  });
};
