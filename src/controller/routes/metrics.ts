// GET /metrics: Prometheus text format. Needs an admin token (Prometheus:
// `authorization: { credentials_file: .corral/admin-token }`) unless the operator opened
// it with `metrics.open` (`corral up --open-metrics`), for scrapers on a trusted network.

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Readable } from 'node:stream';
import type { Registry } from 'prom-client';
import { scrapeChunks } from '../../lib/metrics-scrape.ts';
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
    const chunks = scrapeChunks([metrics.registry, ...(metrics.also ?? [])]);
    const first = await chunks.next(); // a failure here is the API's 500, as before a byte is sent
    if (request.method === 'HEAD') {
      await chunks.return(undefined);
      return reply.type(metrics.registry.contentType).send();
    }
    async function* all(): AsyncGenerator<string> {
      if (!first.done) yield first.value;
      yield* chunks;
    }
    return reply.type(metrics.registry.contentType).send(Readable.from(all(), { objectMode: false }));
  });
};
