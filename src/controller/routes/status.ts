// Status: one site's rollout state, the virtual servers, the engines, the farm at a glance.

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { keys, type EngineRecord } from '../../model/index.ts';
import { principalOf, requireAdmin, scopeOf } from '../access.ts';
import { farmView, servingReleases, siteViews } from '../farm-view.ts';
import { listRecords } from '../records.ts';
import { SiteParams } from '../schemas.ts';
import type { RouteDeps } from './deps.ts';

export const statusRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { store, access }) => {
  app.get('/v1/sites/:name/status', { schema: { params: SiteParams } }, async (request) => {
    const p = principalOf(request);
    const { value: site } = await access.loadSiteFor(p, request.params.name);
    const virtualServers = siteViews(await farmView(store, scopeOf(p)), site);
    const ready = virtualServers.filter((v) => v.release === site.release && v.state === 'ready').length;
    return { site, release: site.release, replicas: site.replicas, ready, serving: await servingReleases(store, site.name), virtualServers };
  });

  app.get('/v1/vs', async (request) => {
    const { virtualServers } = await farmView(store, scopeOf(principalOf(request)));
    return { virtualServers };
  });

  app.get('/v1/engines', async (request) => {
    requireAdmin(principalOf(request));
    return { engines: await listRecords<EngineRecord>(store, keys.engines) };
  });

  app.get('/v1/status', async (request) => farmView(store, scopeOf(principalOf(request))));
};
