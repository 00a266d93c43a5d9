// Engines (admin): the list with state, capacity and use; drain and undrain.

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { keys } from '../../model/index.ts';
import { principalOf, requireAdmin } from '../access.ts';
import { engineViews } from '../engines-view.ts';
import { NotFoundError } from '../errors.ts';
import { EngineParams } from '../schemas.ts';
import type { RouteDeps } from './deps.ts';

export const engineRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { store }) => {
  app.get('/v1/engines', async (request) => {
    requireAdmin(principalOf(request));
    return { engines: await engineViews(store) };
  });

  // Draining: the scheduler places nothing new there, and the reconciler moves its
  // virtual servers away (replacements ready first, then the route, then the old ones).
  app.post('/v1/engines/:id/drain', { schema: { params: EngineParams } }, async (request) => {
    requireAdmin(principalOf(request));
    const engine = (await engineViews(store)).find((e) => e.id === request.params.id);
    if (!engine) throw new NotFoundError(`engine ${request.params.id}`);
    await store.put(keys.engineDrain(engine.id), JSON.stringify({ since: new Date().toISOString() }));
    return { engine: { ...engine, state: 'draining' } };
  });

  app.delete('/v1/engines/:id/drain', { schema: { params: EngineParams } }, async (request, reply) => {
    requireAdmin(principalOf(request));
    await store.delete(keys.engineDrain(request.params.id));
    return reply.code(204).send();
  });
};
