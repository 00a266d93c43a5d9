// Requests Node's HTTP parser refuses before fastify routes them (headers too large, a bad
// or duplicate Content-Length, a malformed request line, a timeout) get the API's error
// shape too, with a fresh request id that is also on the log line; then the connection
// is closed, as Node does, since the rest of the stream cannot be trusted.

import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { BadRequestError, HeadersTooLargeError, RequestTimeoutError } from './errors.ts';
import { errorReply } from './http-errors.ts';

/** A request id, as fastify's genReqId makes them and as error bodies carry them. */
export function newRequestId(): string {
  return `req_${randomBytes(8).toString('hex')}`;
}

/** fastify's `clientErrorHandler` option. */
export function clientErrorHandler(this: FastifyInstance, err: Error & { code?: string }, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const id = newRequestId();
  const { status, body, error } = errorReply(clientError(err), id);
  this.log.info({ reqId: id, errorId: id, code: error.code, status, parserCode: err.code }, error.message);
  // as Node's own handler: write only where no response has started on this socket
  const pending = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && !pending?.headersSent) {
    const json = JSON.stringify(body);
    socket.write(
      `HTTP/1.1 ${status} ${statusText(status)}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(json)}\r\nx-request-id: ${id}\r\nConnection: close\r\n\r\n${json}`,
    );
  }
  socket.destroy(err);
}

function clientError(err: { code?: string }): Error {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return new HeadersTooLargeError();
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new RequestTimeoutError();
    case 'HPE_INVALID_CONTENT_LENGTH':
      return new BadRequestError('the Content-Length header is not a valid length');
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
      return new BadRequestError('the request has Content-Length twice, or with Transfer-Encoding: send exactly one');
    case 'HPE_INVALID_METHOD':
      return new BadRequestError('the request method is not an HTTP method');
    default:
      return new BadRequestError(`the request is not valid HTTP/1.1 (${err.code ?? 'parse error'})`);
  }
}

function statusText(status: number): string {
  return status === 431 ? 'Request Header Fields Too Large' : status === 408 ? 'Request Timeout' : 'Bad Request';
}
