import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { isLogproofError } from '@logproof/core';
import { ApiError, problemBody } from '../errors.js';

/** Maps anything thrown to an ApiError: the one place HTTP statuses are decided. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (isLogproofError(error, 'ERR_VALIDATION')) {
    return new ApiError('validation_failed', error.message, { errors: error.problems });
  }
  const e = error as Partial<FastifyError> & { type?: string };
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError(
        'payload_too_large',
        'the request body is larger than this endpoint accepts',
        { cause: error },
      );
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError('unsupported_media_type', 'send the body as application/json', {
        cause: error,
      });
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ApiError('malformed_request', 'the JSON body is empty', { cause: error });
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new ApiError('malformed_request', 'the Content-Length does not match the body', {
        cause: error,
      });
    case 'FST_ERR_BAD_URL':
    case 'FST_ERR_ASYNC_CONSTRAINT':
      return new ApiError('malformed_request', 'the URL is malformed', { cause: error });
    case 'FST_ERR_RATE_LIMITED':
      return new ApiError('rate_limited', 'too many requests for this API key', { cause: error });
    default:
      break;
  }
  if (error instanceof SyntaxError || e.statusCode === 400) {
    // JSON.parse / secure-json-parse failures (including __proto__ keys).
    return new ApiError('malformed_request', `the body is not valid JSON: ${String(e.message)}`, {
      cause: error,
    });
  }
  if (e.statusCode === 413)
    return new ApiError('payload_too_large', String(e.message), { cause: error });
  if (e.statusCode === 415)
    return new ApiError('unsupported_media_type', String(e.message), { cause: error });
  if (e.statusCode === 503)
    return new ApiError('unavailable', 'the server is shutting down', { cause: error });
  return new ApiError('internal_error', 'an unexpected error occurred; it has been logged', {
    cause: error,
  });
}

/** Writes every error as RFC 9457 application/problem+json. */
export default fp(
  async function errorsPlugin(app: FastifyInstance) {
    app.setErrorHandler(async (error: unknown, request: FastifyRequest, reply: FastifyReply) => {
      const apiError = toApiError(error);
      if (apiError.status >= 500) request.log.error({ err: error }, 'request failed');
      else request.log.info({ code: apiError.code, detail: apiError.message }, 'request refused');
      void reply.code(apiError.status).headers(apiError.headers).type('application/problem+json');
      return problemBody(apiError, request.id);
    });
    app.setNotFoundHandler(async (request, reply) => {
      const apiError = new ApiError(
        'not_found',
        `no route ${request.method} ${request.url.split('?')[0]}`,
      );
      void reply.code(404).type('application/problem+json');
      return problemBody(apiError, request.id);
    });
  },
  { name: 'logproof-errors' },
);
