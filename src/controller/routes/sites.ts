// Sites: create, list, read, change, scale and delete. Access rules are in access.ts; the
// transactions (domain claims, compare-and-swap) in site-writes.ts.

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { keys, type DatabaseRecord, type Site } from '../../model/index.ts';
import { inScope, principalOf, scopeOf } from '../access.ts';
import type { Claimant } from '../domain-rules.ts';
import { ForbiddenError, NotFoundError, QuotaExceededError, SiteAutoscaledError, ValidationError } from '../errors.ts';
import { isPooled } from '../plan-pool.ts';

import type { Principal } from '../principal.ts';
import { listRecords, readRecord } from '../records.ts';
import { ScaleBody, SiteCreateBody, SiteParams, SitePatchBody } from '../schemas.ts';
import { checkDomainClaims, newSite, patchedSite, refuseEgressAboveCaps, refuseResourcesAboveCaps } from '../site-spec.ts';
import { createSite, deleteSite, updateSite, type SiteCheck } from '../site-writes.ts';
import { versionGuard } from '../write-guard.ts';
import { quotaCounter } from '../counter.ts';
import type { RouteDeps } from './deps.ts';

export const siteRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { store, access, domains, staticPools, customerMaxVs }) => {
  /**
   * A customer's own token asking, with `site` as it would be, more servers than the farm gives
   * one customer: 403. A change that asks no more than `before` always goes through. Run on
   * every try of the write, whose transaction the guard joins: concurrent creates and scales
   * of one customer cannot together pass the quota (write-guard.ts).
   */
  const quotaFor = (p: Principal): SiteCheck => async (site, before) => {
    if (p.role === 'admin' || customerMaxVs === 0 || serversAskedBy(site) === 0) return undefined; // a pooled static site reads nothing
    if (before && serversAskedBy(site) <= serversAskedBy(before)) return undefined;
    const guard = await versionGuard(store, keys.counter(quotaCounter(site.customer)));
    const others = (await listRecords<Site>(store, keys.sites)).filter((s) => s.customer === site.customer && s.name !== site.name);
    const total = [...others, site].reduce((n, s) => n + serversAskedBy(s), 0);
    if (total > customerMaxVs) throw new QuotaExceededError(site.customer, total, customerMaxVs);
    return guard;
  };
  app.post('/v1/sites', { schema: { body: SiteCreateBody } }, async (request, reply) => {
    const principal = principalOf(request);
    const customer = ownerFor(principal, request.body.customer);
    refuseResourcesAboveCaps(principal, request.body.resources);
    refuseEgressAboveCaps(principal, request.body.egress);
    const site = newSite(request.body, customer, new Date(), staticPools);
    checkDomainClaims([], site.domains, domains, claimantOf(principal));
    await createSite(store, site, quotaFor(principal));
    return reply.code(201).send({ site });
  });

  app.get('/v1/sites', async (request) => {
    const scope = scopeOf(principalOf(request));
    const sites = await listRecords<Site>(store, keys.sites);
    return { sites: sites.filter((s) => inScope(scope, s.customer)) };
  });

  app.get('/v1/sites/:name', { schema: { params: SiteParams } }, async (request) => {
    const site = await access.loadSiteFor(principalOf(request), request.params.name);
    return { site: site.value };
  });

  app.patch('/v1/sites/:name', { schema: { params: SiteParams, body: SitePatchBody } }, async (request) => {
    const principal = principalOf(request);
    const site = await access.loadSiteFor(principal, request.params.name);
    refuseResourcesAboveCaps(principal, request.body.resources);
    refuseEgressAboveCaps(principal, request.body.egress);
    const database = request.body.database;
    if (typeof database === 'string') {
      const db = await readRecord<DatabaseRecord>(store, keys.database(database));
      if (!db || db.value.customer !== site.value.customer) throw new NotFoundError(`database ${database}`);
    }
    const change = (s: Site): Site => {
      const next = patchedSite(s, request.body);
      if (request.body.replicas !== undefined) refuseFixedCount(next);
      checkDomainClaims(s.domains, next.domains, domains, claimantOf(principal));
      return next;
    };
    return { site: await updateSite(store, site, change, [], quotaFor(principal)) };
  });

  app.post('/v1/sites/:name/scale', { schema: { params: SiteParams, body: ScaleBody } }, async (request) => {
    const principal = principalOf(request);
    const site = await access.loadSiteFor(principal, request.params.name);
    const change = (s: Site): Site => refuseFixedCount(patchedSite(s, { replicas: request.body.replicas }));
    return { site: await updateSite(store, site, change, [], quotaFor(principal)) };
  });

  app.delete('/v1/sites/:name', { schema: { params: SiteParams } }, async (request, reply) => {
    const site = await access.loadSiteFor(principalOf(request), request.params.name);
    await deleteSite(store, site);
    return reply.code(204).send();
  });
};

/** The servers a site may have of its own: its replicas, an autoscaled site's maximum; a pooled static site none (its customer's pool serves it). */
function serversAskedBy(site: Site): number {
  if (isPooled(site)) return 0;
  return site.autoscale ? site.autoscale.maxReplicas : site.replicas;
}

/** A fixed replica count is the site's only while it does not autoscale (its `replicas` is kept for when autoscaling is turned off). */
function refuseFixedCount(site: Site): Site {
  if (site.autoscale) throw new SiteAutoscaledError(site.name, site.autoscale.minReplicas, site.autoscale.maxReplicas);
  return site;
}

/** Admins may claim the farm's reserved names; customers may not (domain-rules.ts). */
function claimantOf(p: Principal): Claimant {
  return p.role === 'admin' ? 'admin' : 'customer';
}

/** The customer a new site belongs to: named by an admin, implied for a customer. */
function ownerFor(p: Principal, requested: string | undefined): string {
  const scope = scopeOf(p);
  if (scope.customer === undefined) {
    if (requested === undefined) throw new ValidationError('body.customer is required with an admin token');
    return requested;
  }
  if (requested !== undefined && requested !== scope.customer) {
    throw new ForbiddenError('a customer token can only create sites for its own customer');
  }
  return scope.customer;
}
