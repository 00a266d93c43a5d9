// GET /v1/health (no token) and GET /v1/whoami.

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { principalOf } from '../access.ts';
import type { RouteDeps } from './deps.ts';

export const healthRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app) => {
  app.get('/v1/health', { config: { public: true } }, async () => ({ ok: true }));

  app.get('/v1/whoami', async (request) => {
    const p = principalOf(request);
    return p.role === 'customer' ? { role: p.role, customer: p.customer } : { role: p.role };
  });
};
