// fastify's own two lines per API request (received, completed) at debug, not info: the
// controller's log is for what happens to the farm; CORRAL_LOG_LEVEL=debug brings them back.
// Errors keep fastify's levels (a failed request at error).

import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

export class RequestLogging extends LogController {
  override incomingRequest(request: FastifyRequest): void {
    request.log.debug({ req: request }, 'incoming request');
  }

  override requestCompleted(error: Error | null, request: FastifyRequest, reply: FastifyReply): void {
    if (error) reply.log.error({ res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored');
    else reply.log.debug({ res: reply, responseTime: reply.elapsedTime }, 'request completed');
  }
}
