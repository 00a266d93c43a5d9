// Joining a farm on a shared store (cluster mode):
//   POST   /v1/join-tokens {name?, ttlSeconds?}  admin → 201 {token, joinToken}
//   GET    /v1/join-tokens                       admin → {joinTokens}
//   DELETE /v1/join-tokens/:id                   admin → 204
//   POST   /v1/join {token, role, id}            no bearer: the join token is the credential
//     → {store: {kind, endpoints, namespace?}, token, controllers}
// The answer lets an engine or router speak to etcd directly (leases and watches need
// it) and fetch blobs from any controller with the engine token it carries.

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { principalOf, requireAdmin } from '../access.ts';
import { NotFoundError, NotImplementedError, UnauthorizedError } from '../errors.ts';
import { checkJoinToken, createJoinToken, listJoinTokens, revokeJoinToken } from '../join-tokens.ts';
import { JoinBody, JoinTokenCreateBody, JoinTokenParams } from '../schemas.ts';
import { issueToken } from '../tokens.ts';
import type { RouteDeps } from './deps.ts';

export const joinRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { store, cluster }) => {
  app.post('/v1/join-tokens', { schema: { body: JoinTokenCreateBody } }, async (request, reply) => {
    requireAdmin(principalOf(request));
    const { token, record } = await createJoinToken(store, request.body.name ?? 'join', request.body.ttlSeconds);
    return reply.code(201).send({ token, joinToken: record });
  });

  app.get('/v1/join-tokens', async (request) => {
    requireAdmin(principalOf(request));
    return { joinTokens: await listJoinTokens(store) };
  });

  app.delete('/v1/join-tokens/:id', { schema: { params: JoinTokenParams } }, async (request, reply) => {
    requireAdmin(principalOf(request));
    if (!(await revokeJoinToken(store, request.params.id))) throw new NotFoundError(`join token ${request.params.id}`);
    return reply.code(204).send();
  });

  app.post('/v1/join', { config: { public: true }, schema: { body: JoinBody } }, async (request) => {
    const joined = await checkJoinToken(store, request.body.token);
    if (!joined) throw new UnauthorizedError('invalid, expired or revoked join token; ask an admin for a new one (corral join-token create)');
    if (!cluster) throw new NotImplementedError('this controller runs on a local store; joining needs `corral controller --store etcd://…`');
    const { role, id } = request.body;
    const token = await issueToken(store, { role: 'engine', name: `${role}:${id} (join ${joined.id})` });
    return { store: cluster.store, token, controllers: await cluster.controllers() };
  });
};
