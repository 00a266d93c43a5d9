// GET /metrics: Prometheus text format. Needs an admin token (Prometheus:
// `authorization: { credentials_file: .corral/admin-token }`) unless the operator opened
// it with `metrics.open` (`corral up --open-metrics`), for scrapers on a trusted network.

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Registry } from 'prom-client';
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
    const texts = await Promise.all([metrics.registry, ...(metrics.also ?? [])].map((r) => r.metrics()));
    return reply.type(metrics.registry.contentType).send(texts.join('\n'));
  });
};
