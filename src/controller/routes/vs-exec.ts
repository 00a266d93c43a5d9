// POST /v1/vs/:name/exec {argv, timeoutMs?}: run a command inside a virtual server as
// its own uid (operators only: admin token), answering its stdout, stderr and exit
// code. The engine's runtime does the work (namespace: nsenter into the guest); this
// route only checks the caller and that the VS exists.

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { principalOf, requireAdmin } from '../access.ts';
import { NotFoundError, NotImplementedError } from '../errors.ts';
import { farmView } from '../farm-view.ts';
import type { RouteDeps } from './deps.ts';

const VsParams = Type.Object({ name: Type.String({ pattern: '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$' }) }, { additionalProperties: false });
const ExecBody = Type.Object({
  argv: Type.Array(Type.String({ maxLength: 8192 }), { minItems: 1, maxItems: 256 }),
  timeoutMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 600_000 })),
}, { additionalProperties: false });

export const vsExecRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { store, vsExec }) => {
  app.post('/v1/vs/:name/exec', { schema: { params: VsParams, body: ExecBody } }, async (request) => {
    requireAdmin(principalOf(request));
    const vs = (await farmView(store, {})).virtualServers.find((v) => v.vs === request.params.name);
    if (!vs) throw new NotFoundError(`virtual server ${request.params.name}`);
    if (!vsExec) throw new NotImplementedError('exec is not available: this controller cannot reach the engine of that virtual server');
    return vsExec({ vs: vs.vs, engine: vs.engine }, request.body.argv, request.body.timeoutMs);
  });
};
