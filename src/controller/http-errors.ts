// The one place where a failure becomes an HTTP status and an error body. Every error
// response of the API is `{ error: { code, message, id } }`; the id is the request id,
// which is also on the log line.

import { CorralError } from '../lib/errors.ts';
import {
  BadRequestError, InternalError, InvalidJsonError, NotFoundError, PayloadTooLargeError,
  UnsupportedMediaTypeError, UriTooLongError, ValidationError,
} from './errors.ts';
import { validationMessage, type SchemaError } from './validation-message.ts';

export interface ErrorBody {
  error: { code: string; message: string; id: string };
}

export interface ErrorReply {
  status: number;
  body: ErrorBody;
  /** The error as a CorralError (an InternalError wrapping anything unexpected). */
  error: CorralError;
}

export function errorReply(err: unknown, requestId: string): ErrorReply {
  const error = toCorralError(err, requestId);
  return { status: error.status, error, body: { error: { code: error.code, message: error.message, id: requestId } } };
}

interface FastifyLikeError {
  code?: string;
  statusCode?: number;
  message?: string;
  validation?: SchemaError[];
  validationContext?: string;
}

function toCorralError(err: unknown, requestId: string): CorralError {
  if (err instanceof CorralError) return err;
  const e = (typeof err === 'object' && err !== null ? err : {}) as FastifyLikeError;
  if (Array.isArray(e.validation)) return new ValidationError(validationMessage(e.validation, e.validationContext ?? 'request'));
  switch (e.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new InvalidJsonError(e.message ?? 'empty body');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new PayloadTooLargeError();
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new UnsupportedMediaTypeError('unsupported Content-Type; send application/json (or application/gzip for release tarballs)');
    case 'FST_ERR_NOT_FOUND':
      return new NotFoundError('route');
    case 'FST_ERR_BAD_URL':
      return new BadRequestError('the URL is not valid: a percent-encoded sequence in its path does not decode');
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new UriTooLongError();
  }
  if (err instanceof SyntaxError && e.statusCode === 400) return new InvalidJsonError(err.message);
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return new BadRequestError(e.message ?? 'bad request');
  }
  return new InternalError(requestId, err);
}
