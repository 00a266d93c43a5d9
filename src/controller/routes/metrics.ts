// GET /metrics: Prometheus text format. Needs an admin token (Prometheus:
// `authorization: { credentials_file: .corral/admin-token }`) unless the operator opened
// it with `metrics.open` (`corral up --open-metrics`), for scrapers on a trusted network.

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Registry } from 'prom-client';
import { openScrape } from '../../lib/metrics-scrape.ts';
import { principalOf, requireAdmin } from '../access.ts';
import type { RouteDeps } from './deps.ts';

export interface MetricsRouteOptions {
  registry: Registry;
  open: boolean;
  /** Registries of this controller served after `registry` (the certificates' expiry, read from the store). */
  also?: Registry[];
}

export const metricsRoutes: FastifyPluginAsyncTypebox<RouteDeps & { metrics: MetricsRouteOptions }> = async (app, { metrics }) => {
  app.get('/metrics', { config: { public: metrics.open } }, async (request, reply) => {
    if (!metrics.open) requireAdmin(principalOf(request));
    // written piece by piece (lib/metrics-scrape.ts): the router's series at 10,000 sites are ≈ 30 MB of text
    const body = await openScrape([metrics.registry, ...(metrics.also ?? [])]); // a failure here is the API's 500, before a byte is sent
    if (request.method === 'HEAD') {
      body.destroy();
      return reply.type(metrics.registry.contentType).send();
    }
    return reply.type(metrics.registry.contentType).send(body);
  });
};
