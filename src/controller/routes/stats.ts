// GET /v1/sites/:name/stats?seconds=120&step=1: the site's recent traffic as the router
// measured it, oldest first: requests, errors (5xx), clientErrors (4xx) and p50/p99
// latency per step. The console's live charts read this; 501 when no router statistics
// were wired in.

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { principalOf } from '../access.ts';
import { NotImplementedError } from '../errors.ts';
import { SiteParams, StatsQuery } from '../schemas.ts';
import type { RouteDeps } from './deps.ts';

export const statsRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { access, siteStats }) => {
  app.get('/v1/sites/:name/stats', { schema: { params: SiteParams, querystring: StatsQuery } }, async (request) => {
    const { value: site } = await access.loadSiteFor(principalOf(request), request.params.name);
    if (!siteStats) throw new NotImplementedError('request statistics are not available: this controller has no router statistics');
    const step = request.query.step ?? 1;
    return { site: site.name, stepSeconds: step, points: siteStats(site.name, request.query.seconds ?? 120, step) };
  });
};
