// Wires errorReply (http-errors.ts) into fastify: thrown errors, unknown routes, and the
// request id echoed on every response so a user can quote it.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { NotFoundError } from './errors.ts';
import { errorReply } from './http-errors.ts';

export function registerErrorHandling(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.setNotFoundHandler(async (request) => {
    throw new NotFoundError(`route ${request.method} ${request.url.split('?')[0]}`);
  });
  app.setErrorHandler(async (err, request, reply) => sendError(err, request, reply));
}

async function sendError(err: unknown, request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  const { status, body, error } = errorReply(err, request.id);
  const fields = { errorId: request.id, code: error.code, status };
  if (status >= 500) request.log.error({ ...fields, err: error.cause ?? error }, error.message);
  else request.log.info(fields, error.message);
  if (reply.sent || reply.raw.headersSent) return reply;
  if (request.raw.complete === false) discardRestOfBody(request);
  return reply.code(status).type('application/json; charset=utf-8').send(body);
}

/** How long the rest of a refused body is read and thrown away before the connection is cut. */
const LINGER_MS = 10_000;

/**
 * A body we stopped reading (e.g. an upload over the limit): read and discard the rest, so
 * the client, still writing, gets to read the error instead of a broken pipe; but only
 * for LINGER_MS (nginx's lingering close).
 */
function discardRestOfBody(request: FastifyRequest): void {
  const body = request.raw;
  const timer = setTimeout(() => body.socket?.destroy(), LINGER_MS);
  timer.unref();
  body.once('end', () => clearTimeout(timer));
  body.once('close', () => clearTimeout(timer));
  body.resume();
}
