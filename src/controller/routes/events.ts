// GET /v1/events?limit=&type=&site=: the audit trail and farm events, newest first.
// Admins see all; a customer only the events that concern its own things.

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { principalOf, scopeOf } from '../access.ts';
import { EventsQuery } from '../schemas.ts';
import type { RouteDeps } from './deps.ts';

export const eventRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { events }) => {
  app.get('/v1/events', { schema: { querystring: EventsQuery } }, async (request) => {
    const scope = scopeOf(principalOf(request));
    const { limit, type, site } = request.query;
    return { events: await events.list(scope, { ...(limit !== undefined ? { limit } : {}), ...(type ? { type } : {}), ...(site ? { site } : {}) }) };
  });
};
