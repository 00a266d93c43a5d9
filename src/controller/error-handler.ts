// Wires errorReply (http-errors.ts) into fastify: thrown errors, unknown routes (404) or
// methods (405 with Allow), and the request id echoed on every response so a user can quote it.
// Must run before the routes are registered (it learns their methods as they are added).

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { MethodNotAllowedError, NotFoundError } from './errors.ts';
import { errorReply } from './http-errors.ts';
import { RouteMethods } from './route-methods.ts';

export function registerErrorHandling(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  const methods = new RouteMethods();
  app.addHook('onRoute', (route) => methods.add(route.method, route.url));
  app.setNotFoundHandler(async (request, reply) => {
    const path = request.url.split('?')[0] ?? '/';
    const allow = methods.allowed(path);
    if (allow.length === 0) throw new NotFoundError(`route ${request.method} ${path}`);
    reply.header('allow', allow.join(', '));
    throw new MethodNotAllowedError(request.method, path, allow);
  });
  app.setErrorHandler(async (err, request, reply) => sendError(err, request, reply));
}

/** fastify's `frameworkErrors` option: a URL it cannot decode or a path segment over its length limit, before routing. */
export function frameworkErrorHandler(err: Error, request: FastifyRequest, reply: FastifyReply): void {
  reply.header('x-request-id', request.id);
  void sendError(err, request, reply);
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
